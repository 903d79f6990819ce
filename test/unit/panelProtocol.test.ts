// Messages from the webview are untrusted: every one is checked against the protocol before the
// host acts on it. Malformed, unknown and hostile ones are refused; the real ones pass.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPanelToHost } from '../../src/protocol/panelProtocol';

const request = (method: string, params: unknown, id: unknown = 1) => ({ kind: 'request', id, method, params });

describe('webview messages', () => {
  it('accepts what the panel really sends', () => {
    for (const message of [
      { type: 'ready' },
      { type: 'save', name: 'attention-self-L2-H3.png', mime: 'image/png', data: 'iVBORw0KGgo=', encoding: 'base64' },
      { type: 'save', name: 'activations-encoder.csv', mime: 'text/csv', data: 'a,b\n1,2', encoding: 'utf8' },
      request('attentionHead', { id: 'x', group: 'encoder.self', layer: 0, head: 3 }),
      request('attentionLayer', { id: 'x', group: 'self', layer: 11 }),
      request('attentionRollout', { id: 'x', group: 'self' }),
      request('logitLens', { id: 'x', stack: 'decoder' }),
      request('projection', { id: 'x', stack: 'encoder' }),
      request('ffnTopUnits', { id: 'x', stack: 'encoder', layer: 1, token: 2, count: 10 }),
      request('neighbors', { id: 'x', stack: 'decoder', layer: 1, token: 2, count: 8 }),
      { kind: 'cancel', id: 4 },
    ]) {
      assert.equal(isPanelToHost(message), true, JSON.stringify(message));
    }
  });

  it('refuses anything else: wrong shapes, unknown kinds and methods, paths and oversized asks', () => {
    for (const message of [
      null,
      undefined,
      'ready',
      42,
      [],
      {},
      { type: 'unknown' },
      { type: 'eval', code: 'process.exit()' },
      { type: 'save', name: '../../.bashrc', mime: 'text/csv', data: 'x', encoding: 'utf8' },
      { type: 'save', name: '/etc/passwd', mime: 'text/csv', data: 'x', encoding: 'utf8' },
      { type: 'save', name: 'x.png', mime: 'application/x-sh', data: 'x', encoding: 'base64' },
      { type: 'save', name: 'x.png', mime: 'image/png', data: { toString: 1 }, encoding: 'base64' },
      { type: 'save', name: 'x.png', mime: 'image/png', data: 'x', encoding: 'hex' },
      { type: 'save', name: 'a'.repeat(101), mime: 'text/csv', data: 'x', encoding: 'utf8' },
      { kind: 'cancel', id: 'all' },
      { kind: 'result', id: 1, result: {} },
      request('attentionHead', { id: 'x', group: 'self', layer: 0.5, head: 0 }),
      request('attentionHead', { id: 'x', group: 'self', layer: '0', head: 0 }),
      request('attentionHead', { id: 'x', group: 7, layer: 0, head: 0 }),
      request('attentionHead', { group: 'self', layer: 0, head: 0 }),
      request('attentionHead', { id: 'x', group: 'self', layer: 0, head: 0 }, 'one'),
      request('attentionHead', null),
      request('constructor', { id: 'x' }),
      request('__proto__', { id: 'x' }),
      request('toString', { id: 'x' }),
      request('readFile', { id: 'x', path: '/etc/passwd' }),
      request('logitLens', { id: 'x', stack: 'both' }),
      request('ffnTopUnits', { id: 'x', stack: 'encoder', layer: 1, token: 2, count: 1e9 }),
      request('neighbors', { id: 'x', stack: 'encoder', layer: 1, token: 2, count: 51 }),
    ]) {
      assert.equal(isPanelToHost(message), false, JSON.stringify(message));
    }
  });
});
