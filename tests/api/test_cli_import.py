"""`shetu import` and `shetu expire` as a user runs them (a subprocess on a fresh var dir)."""

from __future__ import annotations

from test_cli import shetu


def test_import_reports_bad_rows_exits_1_and_a_rerun_changes_nothing(tmp_path):
    shetu(tmp_path, "migrate")
    csv_file = tmp_path / "workers.csv"
    csv_file.write_text("full_name,nid_number,date_of_birth,gender,languages\n"
                        "Amina Khatun,8880001112223,1994-03-03,female,Bangla\n"
                        "Bad Gender,8880001112224,1994-03-03,robot,Bangla\n"
                        "Jamal Hossain,8880001112225,1989-07-07,male,Bangla;Arabic\n",
                        encoding="utf-8")
    r = shetu(tmp_path, "import", "workers", str(csv_file), check=False)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "line 3: gender:" in r.stderr
    assert "3 rows: 2 created, 0 unchanged (already imported), 1 bad" in r.stdout
    assert "importing workers" in r.stderr  # the progress bar
    again = shetu(tmp_path, "import", "workers", str(csv_file), check=False)
    assert "3 rows: 0 created, 2 unchanged (already imported), 1 bad" in again.stdout
    wrong = shetu(tmp_path, "import", "cats", str(csv_file), check=False)
    assert wrong.returncode == 2 and "kind" in wrong.stderr


def test_expire_names_a_bad_date(tmp_path):
    shetu(tmp_path, "migrate")
    r = shetu(tmp_path, "expire", "--today", "2026-02-30", check=False)
    assert r.returncode == 2 and "--today" in r.stderr
    ok = shetu(tmp_path, "expire", "--today", "2026-03-01")
    assert "expired 0 job orders" in ok.stdout
