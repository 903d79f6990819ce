// Greedy decoding with the exported ONNX encoder + merged decoder in onnxruntime-node, the way the
// extension's engine runs it: encoder once, then decoder_model_merged with use_cache_branch=false
// (every past_key_values.* fed as a zero-length tensor) for the first step and true afterwards.
// usage: node training/check_onnx.mjs MODEL_DIR CASES.json OUT.json [--quantized]
//   CASES.json: [{"input_ids": [...], "expected_ids"?: [...]}]; OUT.json gets [{"output_ids": [...]}].
// Exits 1 when any case has expected_ids that differ from the ONNX greedy output.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ort from "onnxruntime-node";

const [dir, casesPath, outPath, flag] = process.argv.slice(2);
const suffix = flag === "--quantized" ? "_quantized" : "";
const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
const gen = JSON.parse(readFileSync(join(dir, "generation_config.json"), "utf8"));
const opts = { intraOpNumThreads: 2, interOpNumThreads: 1 };
const encoder = await ort.InferenceSession.create(join(dir, "onnx", `encoder_model${suffix}.onnx`), opts);
const decoder = await ort.InferenceSession.create(join(dir, "onnx", `decoder_model_merged${suffix}.onnx`), opts);
const heads = config.decoder_attention_heads;
const headDim = config.d_model / heads;
const pastNames = decoder.inputNames.filter((n) => n.startsWith("past_key_values."));

const i64 = (arr, dims) => new ort.Tensor("int64", BigInt64Array.from(arr.map(BigInt)), dims);

async function greedy(inputIds, maxLength) {
  const S = inputIds.length;
  const ids = i64(inputIds, [1, S]);
  const mask = i64(new Array(S).fill(1), [1, S]);
  const { last_hidden_state: hidden } = await encoder.run({ input_ids: ids, attention_mask: mask });
  const feeds = { encoder_attention_mask: mask, encoder_hidden_states: hidden };
  for (const n of pastNames) feeds[n] = new ort.Tensor("float32", new Float32Array(0), [1, heads, 0, headDim]);
  let next = gen.decoder_start_token_id;
  const out = [];
  for (let step = 0; step < maxLength; step++) {
    feeds.input_ids = i64([next], [1, 1]);
    feeds.use_cache_branch = new ort.Tensor("bool", [step > 0], [1]);
    const res = await decoder.run(feeds);
    const logits = res.logits.data; // [1, 1, V]
    let best = 0;
    for (let v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
    next = best;
    out.push(next);
    if (next === gen.eos_token_id) break;
    for (const n of pastNames) {
      const present = n.replace("past_key_values", "present");
      // cross-attention caches come out of the first step and are passed back unchanged
      feeds[n] = res[present];
    }
  }
  return out;
}

const cases = JSON.parse(readFileSync(casesPath, "utf8"));
const maxLength = gen.max_length;
const results = [];
let mismatches = 0;
let steps = 0;
const t0 = Date.now();
for (const [k, c] of cases.entries()) {
  const output_ids = await greedy(c.input_ids, c.max_length ?? maxLength);
  steps += output_ids.length;
  results.push({ output_ids });
  if (c.expected_ids && JSON.stringify(c.expected_ids) !== JSON.stringify(output_ids)) {
    if (mismatches++ < 5) console.log(`case ${k}: expected ${c.expected_ids.join(",")}\n        got      ${output_ids.join(",")}`);
  }
}
if (outPath && outPath !== "-") writeFileSync(outPath, JSON.stringify(results));
const secs = (Date.now() - t0) / 1000;
console.log(`${cases.length} cases${suffix ? " (quantized)" : ""}, ${mismatches} differ from PyTorch; ` +
  `${steps} decoder steps in ${secs.toFixed(1)}s`);
process.exit(mismatches ? 1 : 0);
