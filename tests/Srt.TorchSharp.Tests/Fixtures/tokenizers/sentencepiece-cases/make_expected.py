"""Writes expected.json: ids for hard tokenization cases, made by the reference libraries (the C# tests read the JSON
and never run Python; see Tokenizers/SentencePieceHardCaseTests.cs).

Run from this folder with Debian's python3 (apt-get install python3-sentencepiece python3-regex):
    /usr/bin/python3 make_expected.py > expected.json

- tokenizer.model sets: the sentencepiece library itself (SentencePieceProcessor.encode, no BOS/EOS). It never
  matches CONTROL pieces (<s>, </s>, [INST]) or <unk> in text, so their spellings come out as plain text.
- tokenizer.json sets (the OLMo 2 and Phi-3 tokenizers): ../reference/hf_bpe_reference.py, the independent
  re-implementation of Hugging Face's BPE pipeline, with special added tokens left unmatched in text (Hugging
  Face's split_special_tokens=True, which is Srt's default); non-special added tokens are still matched.
"""
import hashlib, json, os, sys
import sentencepiece as spm

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
from hf_bpe_reference import HF  # noqa: E402

CASES = [
    # Runs of punctuation: several equal-score merges compete; sentencepiece applies the leftmost first.
    "!!!!!!!", "?!?!?!?!", "........", "...", "-----", "==========", "**********", "~~~~~~~~~~~", "!!!???...",
    "))))))", "<<<<>>>>", '"""', "'''", "/////", "____________", "########", "$$$$$", "@@@@@", "\\\\\\\\\\\\",
    ";;;;;;", ",,,,,", "...!!!...", "Wait... what?!?!", "a---b---c", "--==--==--",
    # Long runs of one character.
    "a" * 41, "z" * 17, "l" * 12, "e" * 9, "s" * 10, "o" * 33, "0" * 30, "1" * 7, "ab" * 20, "の" * 12,
    "x" * 64 + " end", "hmmmmmmmmmmmm", "Nooooooooooooooo!", "aaaa bbbb aaaa",
    # Mixed scripts.
    "Hello мир 世界 مرحبا", "Ελληνικά and עברית", "हिन्दी text", "한국어 텍스트", "ÀÉÎÕÜ àéîõü", "Ｆｕｌｌ ｗｉｄｔｈ",
    # Emoji and combining sequences.
    "👩🏽‍💻 coding", "🇺🇸🇫🇷🇯🇵", "❤️❤️", "😀😃😄😁", "e\u0301e\u0301e\u0301", "👍🏿👍🏻",
    # Whitespace runs.
    "a  b   c    d     e", "\t\t\t", " \n \n ", "trailing   ", "   leading", "\u3000full width space", "x\r\n\r\ny",
    "\n\n\n\n", "          ten spaces", "mixed \t \n whitespace",
    # Control-token spellings: plain text to sentencepiece.
    "<s>", "</s>", "<unk>", "[INST]", "[/INST]", "<s>[INST] hi [/INST]</s>", "text </s> more", "<s><s>", "x<unk>y",
    "[INST]Hello[/INST]", "[TOOL_CALLS]", "[control_12]", "<0x41>", "<pad>", "  </s>", "</s>\n",
    "<|im_end|>", "<|im_start|>user\nHi<|im_end|>", "<|endoftext|>", "<|end|><|user|>", "<|assistant|>",
    "[REFERENCE_DOC_0] and [REFERENCE_DOC_19]", "<|extra_id_0|>x",
    # Byte fallback.
    "\u0007 bell", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "\ufffd", "🧬 dna", "𪚥 rare", "Ꙭ", "\u00ad soft hyphen", "\U000e0041 tag",
    # Empty and leading-space cases.
    "", " ", "  ", " a", "\n", " \n", "\u2581", "\u2581\u2581x", "a\u2581b", " Hello", "Hello ",
]

SP_SETS = [("mistral-7b-v0.1", "tokenizer.model"), ("mistral-instruct-v3-spm", "tokenizer.model")]
JSON_SETS = [("olmo2-dolma2", "tokenizer.json"), ("phi-3-mini", "tokenizer.json")]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class PlainHF(HF):
    """Special added tokens are not matched in text; non-special ones are (split_special_tokens=True)."""

    def __init__(self, path):
        super().__init__(path)
        self.added = [t for t in self.added if not t.get("special")]


def main():
    sets = []
    for fixture, file in SP_SETS:
        path = os.path.join(HERE, "..", fixture, file)
        sp = spm.SentencePieceProcessor(model_file=path)
        sets.append({"fixture": fixture, "file": file, "sha256": sha256(path),
                     "reference": "sentencepiece " + spm.__version__,
                     "cases": [{"text": t, "ids": sp.encode(t)} for t in CASES]})
    for fixture, file in JSON_SETS:
        path = os.path.join(HERE, "..", fixture, file)
        hf = PlainHF(path)
        sets.append({"fixture": fixture, "file": file, "sha256": sha256(path),
                     "reference": "hf_bpe_reference.py, special added tokens unmatched",
                     "cases": [{"text": t, "ids": hf.encode(t)} for t in CASES]})
    # One case per line, so a regenerated file diffs readably.
    out = ['{"generator": "make_expected.py", "sets": [']
    for i, s in enumerate(sets):
        head = {k: v for k, v in s.items() if k != "cases"}
        out.append(" " + json.dumps(head, ensure_ascii=True)[:-1] + ', "cases": [')
        out.append(",\n".join("  " + json.dumps(c, ensure_ascii=True) for c in s["cases"]))
        out.append(" ]}" + ("," if i < len(sets) - 1 else ""))
    out.append("]}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
