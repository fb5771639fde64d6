"""model2vec distillation: a static model that the encoder registry loads in its own space."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matcher.encoder import StaticEncoder, get_encoder

pytest.importorskip("model2vec")

from training.distill import default_out_dir, distill  # noqa: E402

WORDS = ("welder pipe steel weld cook kitchen food chef nurse patient care hospital driver truck "
         "road licence mason brick wall cement electrician wire circuit power plumber water "
         "drain tile farm crop harvest cattle sewing garment stitch fabric cleaner room floor "
         "wash painter paint brush colour carpenter wood saw joint").split()


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small random BERT with a real WordPiece tokenizer (seconds to distil, no download)."""
    import torch
    from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordPiece
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    d = tmp_path_factory.mktemp("tiny-bert")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, *[f"##{c}" for c in "sed"]]
    tok = Tokenizer(WordPiece({t: i for i, t in enumerate(vocab)}, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                            cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
                            model_max_length=64).save_pretrained(str(d))
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2,
                     num_attention_heads=2, intermediate_size=64, max_position_embeddings=64)
    BertModel(cfg).save_pretrained(str(d))
    return d


def test_distilled_model_loads_as_static_encoder(tiny_model: Path, tmp_path: Path) -> None:
    out = distill(str(tiny_model), pca_dims=8, out_dir=tmp_path / "m2v")
    enc = get_encoder(str(out))
    assert isinstance(enc, StaticEncoder)
    assert enc.name == f"model2vec:{out}"
    v = enc.encode(["welder pipe steel", "cook kitchen food", "welder pipe steel"])
    assert v.shape == (3, 8) and enc.dim == 8  # its own dimension, not the transformer's
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert np.allclose(v[0], v[2]) and not np.allclose(v[0], v[1])
    assert enc.encode([]).shape == (0, 8)


def test_bad_arguments_name_the_field(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="pca_dims"):
        distill(str(tmp_path), pca_dims=1)
    with pytest.raises(FileNotFoundError, match="model"):
        distill(str(tmp_path / "missing"), out_dir=tmp_path / "out")


def test_default_locations(tmp_path: Path) -> None:
    art = tmp_path / "models" / "minilm-shetu-1" / "model"
    assert default_out_dir(str(art), 256, tmp_path) == art.parent / "model2vec-pca256"
    assert default_out_dir("packaged:all-MiniLM-L6-v2", 128, tmp_path) == \
        tmp_path / "model2vec" / "all-MiniLM-L6-v2-pca128"
