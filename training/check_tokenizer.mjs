// Checks that @huggingface/tokenizers, loading our tokenizer.json, gives exactly the ids that
// sentencepiece gave (cases written by tokenizer.check_cases()), and decodes them back.
// usage: node training/check_tokenizer.mjs <dir with tokenizer.json> <cases.json>
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";

const [dir, casesPath] = process.argv.slice(2);
const tok = new Tokenizer(
  JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8")),
  JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8")),
);
const cases = JSON.parse(readFileSync(casesPath, "utf8"));
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
let bad = 0;
for (const c of cases) {
  const forms = [`${c.lang_token} ${c.text}`, `${c.lang_token}${c.text}`];
  for (const input of forms) {
    const ids = tok.encode(input).ids;
    if (!same(ids, c.ids)) {
      if (bad++ < 10) console.log("MISMATCH", JSON.stringify(input), "\n  spm", c.ids.join(","), "\n  js ", ids.join(","));
    }
  }
  if (!c.ids.includes(2)) {
    const text = tok.decode(c.ids, { skip_special_tokens: true });
    if (text !== c.decoded) {
      if (bad++ < 10) console.log("DECODE MISMATCH", JSON.stringify(text), JSON.stringify(c.decoded));
    }
  }
}
console.log(`${cases.length} sentences (each as ">>L<< text" and ">>L<<text", plus decode): ${bad} mismatches`);
process.exit(bad ? 1 : 0);
