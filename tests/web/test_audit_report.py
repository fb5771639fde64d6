"""``shetu audit report``: a self-contained HTML file (charts inline as SVG, nothing fetched from
another host), for all agencies or one; bad options exit 2 naming the option."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from support import DATA_DIR

from registry.config import REPO_ROOT


def _run(seeded, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SHETU_VAR_DIR": str(seeded["settings"].var_dir), "SHETU_ENV": "test",
           "SHETU_DATA_DIR": str(DATA_DIR)}
    return subprocess.run([sys.executable, "-m", "api.cli", "audit", "report", *args],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_report_for_all_agencies_is_self_contained(seeded, tmp_path):
    out = tmp_path / "audit.html"
    r = _run(seeded, "--out", str(out))
    assert r.returncode == 0, r.stderr
    html = out.read_text(encoding="utf-8")
    assert html.count("<svg") >= 4 and "<script" not in html
    # Nothing in the file makes a browser fetch anything: no image, stylesheet, script or frame,
    # no url() but to the file's own #fragments, no attribute naming another host. (Sources are
    # cited as plain text, which a browser never requests.)
    assert not re.search(r"<(img|link|script|iframe|object|embed)\b", html)
    assert not re.search(r"url\((?!#)", html)
    assert not re.search(r"""=\s*["']?https?://""", html), re.findall(r"""=["']?https?://\S+""",
                                                                    html)[:3]
    assert "Rules and their sources" in html and "29 CFR 1607.4(D)" in html


def test_report_for_one_agency_in_bangla(seeded, tmp_path):
    out = tmp_path / "one.html"
    r = _run(seeded, "--out", str(out), "--agency", "1", "--lang", "bn")
    assert r.returncode == 0, r.stderr
    html = out.read_text(encoding="utf-8")
    assert 'lang="bn"' in html and "নিরীক্ষা প্রতিবেদন" in html
    assert html.count('<section id="agency-') == 1


def test_bad_options_exit_2_and_write_nothing(seeded, tmp_path):
    r = _run(seeded, "--out", str(tmp_path / "x.pdf"))
    assert r.returncode == 2 and "--out" in r.stderr
    r = _run(seeded, "--out", str(tmp_path / "y.html"), "--agency", "999999")
    assert r.returncode == 2 and "--agency" in r.stderr
    assert list(tmp_path.iterdir()) == []
