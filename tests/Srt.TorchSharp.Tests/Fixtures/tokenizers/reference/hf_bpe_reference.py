"""Minimal independent re-implementation of Hugging Face tokenizers' BPE pipeline, enough for the fixture
configurations (ByteLevel / Split+ByteLevel, Metaspace, legacy Prepend+Replace normalizer). Written for Srt."""
import json, sys, regex
def b2u():
    bs = list(range(33,127))+list(range(161,173))+list(range(174,256)); cs=bs[:]; n=0
    for b in range(256):
        if b not in bs: bs.append(b); cs.append(256+n); n+=1
    return dict(zip(bs, map(chr, cs)))
B2U = b2u()
def bpe(word, ranks):
    syms = list(word)
    while len(syms) > 1:
        best = None
        for i in range(len(syms)-1):
            r = ranks.get((syms[i], syms[i+1]))
            if r is not None and (best is None or r < best[0]): best = (r, i)
        if best is None: break
        a, b = syms[best[1]], syms[best[1]+1]; out=[]; i=0
        while i < len(syms):
            if i < len(syms)-1 and syms[i]==a and syms[i+1]==b: out.append(a+b); i+=2
            else: out.append(syms[i]); i+=1
        syms = out
    return syms
class HF:
    def __init__(self, path):
        j = json.load(open(path)); m = j['model']; self.j=j
        self.vocab = m['vocab']; self.ranks = {}
        for i, mg in enumerate(m['merges']):
            a, b = mg.split(' ', 1) if isinstance(mg, str) else mg
            self.ranks.setdefault((a, b), i)
        self.added = sorted(j['added_tokens'], key=lambda t: -len(t['content']))
        self.bytefb = m.get('byte_fallback', False)
        pt = j['pre_tokenizer']; self.kind = None
        if pt and pt['type'] == 'ByteLevel': self.kind='bl'; self.pat = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
        elif pt and pt['type'] == 'Sequence': self.kind='bl'; self.pat = pt['pretokenizers'][0]['pattern']['Regex']
        elif pt and pt['type'] == 'Metaspace': self.kind='ms'
        else: self.kind='legacy'
    def split_added(self, text):
        out=[]; i=0; start=0
        while i < len(text):
            for t in self.added:
                c=t['content']
                if text.startswith(c, i):
                    s=i; e=i+len(c)
                    if t.get('lstrip'):
                        while s>start and text[s-1].isspace(): s-=1
                    if t.get('rstrip'):
                        while e<len(text) and text[e].isspace(): e+=1
                    out.append((text[start:s], start)); out.append((t['id'],)); i=start=e; break
            else: i+=1
        out.append((text[start:], start)); return out
    def word(self, w):
        ids=[]
        for s in bpe(w, self.ranks):
            if s in self.vocab: ids.append(self.vocab[s])
            elif self.bytefb:
                for ch in s: 
                    if ch in self.vocab: ids.append(self.vocab[ch])
                    else: ids += [self.vocab['<0x%02X>'%b] for b in ch.encode()]
            else: raise Exception('unk '+s)
        return ids
    def encode(self, text):
        ids=[]
        for part in self.split_added(text):
            if len(part)==1: ids.append(part[0]); continue
            sec, off = part
            if sec == '': continue
            if self.kind=='bl':
                for m in regex.finditer(self.pat, sec):
                    ids += self.word(''.join(B2U[b] for b in m.group().encode()))
            elif self.kind=='ms':
                s = sec.replace(' ', '\u2581')
                if not s.startswith('\u2581') and off==0: s='\u2581'+s
                ids += self.word(s)
            else:
                ids += self.word('\u2581'+sec.replace(' ', '\u2581'))
        return ids
if __name__ == "__main__":
    strings = json.load(open(sys.argv[1]))
    for path in sys.argv[2:]:
        hf = HF(path); print(path)
        for s in strings: print(json.dumps(s), hf.encode(s))
