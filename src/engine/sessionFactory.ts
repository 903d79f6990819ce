// Creates onnxruntime sessions from a preference list of execution providers. ORT throws when a
// provider is unavailable instead of falling back, so each is tried in turn and the one that
// actually runs is reported.

import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { errorMessage } from './engineError';

// Provider failures are reported by the caller; onnxruntime's own error lines would only repeat them.
ort.env.logLevel = 'fatal';

export const DEFAULT_EXECUTION_PROVIDERS: Readonly<Partial<Record<NodeJS.Platform, readonly string[]>>> = {
  linux: ['cuda', 'webgpu', 'cpu'],
  win32: ['dml', 'webgpu', 'cpu'],
  darwin: ['coreml', 'webgpu', 'cpu'],
};

const DISPLAY_NAMES: Record<string, string> = {
  cpu: 'CPU', cuda: 'CUDA', tensorrt: 'TensorRT', dml: 'DirectML', coreml: 'CoreML', webgpu: 'WebGPU', qnn: 'QNN',
};

export function providerDisplayName(provider: string): string {
  return DISPLAY_NAMES[provider] ?? provider;
}

export interface SessionSettings {
  /** Preference order; CPU is always tried last. */
  readonly executionProviders?: readonly string[];
  /** Intra-op threads; 0 lets onnxruntime decide. */
  readonly threads?: number;
  /** Whether idle worker threads spin for the next run (onnxruntime's default); small side models say no. */
  readonly spinning?: boolean;
}

export interface ProviderAttempt {
  readonly name: string;
  readonly error?: string;
}

export interface CreatedSession {
  readonly session: ort.InferenceSession;
  readonly provider: string;
  readonly tried: readonly ProviderAttempt[];
}

export function providerPreference(settings: SessionSettings): string[] {
  const preferred = settings.executionProviders?.length
    ? settings.executionProviders
    : (DEFAULT_EXECUTION_PROVIDERS[process.platform] ?? ['cpu']);
  const list = [...new Set(preferred.map((name) => name.toLowerCase()))].filter((name) => name !== 'cpu');
  return [...list, 'cpu'];
}

const VULKAN_LOADERS = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1', '/usr/lib/libvulkan.so.1'];

/** Why a provider cannot work on this machine, known without trying (trying prints native noise). */
export function missingProviderReason(provider: string): string | undefined {
  const backends = ort.listSupportedBackends().map((backend) => backend.name);
  if (!backends.includes(provider)) {
    return `not part of onnxruntime-node on ${process.platform} (it has: ${backends.join(', ')})`;
  }
  if (process.platform === 'linux' && (provider === 'cuda' || provider === 'tensorrt')) {
    const binaries = path.join(path.dirname(require.resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6', 'linux', process.arch);
    if (!existsSync(path.join(binaries, `libonnxruntime_providers_${provider}.so`))) {
      return 'onnxruntime-node was installed without its CUDA binaries (install with --onnxruntime-node-install=cuda12)';
    }
  }
  if (process.platform === 'linux' && provider === 'webgpu' && !VULKAN_LOADERS.some((file) => existsSync(file))) {
    return 'no Vulkan loader (libvulkan.so.1) on this machine';
  }
  return undefined;
}

/** `externalDataFolder`: where the model's external weight files live (the model was edited in memory). */
export async function createSession(
  model: Uint8Array,
  externalDataFolder: string,
  settings: SessionSettings,
): Promise<CreatedSession> {
  const tried: ProviderAttempt[] = [];
  for (const provider of providerPreference(settings)) {
    const missing = missingProviderReason(provider);
    if (missing) {
      tried.push({ name: provider, error: missing });
      continue;
    }
    try {
      const session = await ort.InferenceSession.create(model, {
        executionProviders: [provider],
        graphOptimizationLevel: 'all',
        intraOpNumThreads: settings.threads ?? 0,
        logSeverityLevel: 3,
        extra: { session: { model_external_initializers_file_folder_path: externalDataFolder, ...(settings.spinning === false ? { intra_op: { allow_spinning: '0' } } : {}) } },
      });
      tried.push({ name: provider });
      return { session, provider, tried };
    } catch (error) {
      tried.push({ name: provider, error: firstLine(errorMessage(error)) });
      if (provider === 'cpu') throw Object.assign(error as Error, { tried });
    }
  }
  throw new Error('unreachable: cpu is always tried');
}

function firstLine(message: string): string {
  return message.split('\n')[0].slice(0, 300);
}
