// The webview side of the VS Code bridge, typed with the panel protocol and the panel's saved state.
// acquireVsCodeApi may be called once per page: this module is the one place that does.

import type { PanelToHost } from '../src/protocol/panelProtocol';
import type { SavedPanelState } from './panelState';

export interface VsCodeApi {
  postMessage(message: PanelToHost): void;
  getState(): unknown;
  setState(state: SavedPanelState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

let api: VsCodeApi | undefined;

export function vscodeApi(): VsCodeApi {
  return (api ??= acquireVsCodeApi());
}
