// Entry of the VS Code panel: wires the page to the host — messages in, the ready handshake,
// data questions through the shared RPC helper, exports as save requests, state for reloads.

import type { PanelDataMethods, PanelDataSource } from '../src/protocol/panelData';
import { assertNever, type HostToPanel } from '../src/protocol/panelProtocol';
import { RpcClient, type RpcMessage } from '../src/protocol/rpc';
import { InspectorApp } from './app';
import { setStrings } from './strings';
import { vscodeApi } from './vscodeApi';

/** A slice of a 512-token layer is ~12 MB; the engine answers in well under this. */
const QUESTION_TIMEOUT_MS = 120_000;

const translated = document.getElementById('ti-strings')?.textContent;
if (translated) setStrings(JSON.parse(translated) as Record<string, unknown>);

const vscode = vscodeApi();
const rpc = new RpcClient<PanelDataMethods>((message) => vscode.postMessage(message as Extract<RpcMessage<PanelDataMethods>, { kind: 'request' | 'cancel' }>));
const source: PanelDataSource = { call: (method, params) => rpc.call(method, params, { timeoutMs: QUESTION_TIMEOUT_MS }) };
const app = new InspectorApp(
  document.getElementById('app') ?? document.body.appendChild(document.createElement('main')),
  {
    save: (file) => vscode.postMessage({ type: 'save', ...file }),
    saveState: (state) => vscode.setState(state),
  },
  vscode.getState(),
);

window.addEventListener('message', (event: MessageEvent<HostToPanel>) => {
  const message = event.data;
  if (typeof message !== 'object' || message === null) return;
  if ('kind' in message) {
    rpc.handle(message);
    return;
  }
  switch (message.type) {
    case 'inspection':
      // Answers still due about the previous inspection are of no use now.
      rpc.rejectAll(new Error('superseded'));
      app.showInspection(message.summary, source);
      return;
    case 'translation':
      app.showTranslation(message.translation, source);
      return;
    case 'busy':
      app.showBusy(message.message);
      return;
    case 'error':
      app.showError(message.message);
      return;
    default:
      assertNever(message);
  }
});

vscode.postMessage({ type: 'ready' });
