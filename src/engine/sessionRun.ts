// session.run with a fetch list, the same on every onnxruntime-node the extension ships with.

import * as ort from 'onnxruntime-node';

/** The onnxruntime-node release loaded, e.g. "1.30.0". */
export const onnxruntimeVersion: string = ort.env.versions?.node ?? 'unknown';

/**
 * onnxruntime-node before 1.24 (the macOS x64 VSIX carries 1.23.2, the last release with macOS x64 binaries)
 * returns the outputs of a fetch list in the session's output order, named after the session's first outputs.
 */
const NAMES_FETCHES_BY_POSITION = (() => {
  const [major, minor] = onnxruntimeVersion.split('.').map(Number);
  return major === 1 && minor < 24;
})();

export async function runFetching(
  session: ort.InferenceSession,
  feeds: ort.InferenceSession.FeedsType,
  fetches: readonly string[],
): Promise<ort.InferenceSession.ReturnType> {
  const outputs = await session.run(feeds, [...fetches]);
  if (!NAMES_FETCHES_BY_POSITION) return outputs;
  const values = Object.values(outputs);
  const inSessionOrder = [...new Set(fetches)].sort((a, b) => session.outputNames.indexOf(a) - session.outputNames.indexOf(b));
  return Object.fromEntries(inSessionOrder.map((name, index) => [name, values[index]]));
}
