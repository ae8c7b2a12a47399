/**
 * Which TensorFlow.js backend trains: the fastest that loads, tried in order (native GPU, native CPU, WASM, plain
 * JS), or the one a `backend` setting forces. Everything TensorFlow.js is imported here, lazily, so that commands
 * that do not train never load it.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as TfCore from '@tensorflow/tfjs-core';
import type * as TfLayers from '@tensorflow/tfjs-layers';
import { GitmlError } from '../../../errors.js';

export type Tf = typeof TfCore;
export type Tfl = typeof TfLayers;

/** The backends, fastest first. `auto` takes the first that loads. */
export const BACKENDS = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
export type BackendChoice = 'auto' | BackendName;

/** What trained (or predicts): recorded in the model's metadata and metrics. */
export interface BackendInfo {
  name: BackendName;
  /** TensorFlow.js's version (tfjs-core). */
  tfjsVersion: string;
  /** Whether the same seed gives bit-identical results on this backend. */
  deterministic: boolean;
  /** Why not, when `deterministic` is false. */
  reason?: string;
  /** Backends tried before this one and why each did not load (for `auto`). */
  skipped: { name: BackendName; reason: string }[];
}

/** A loaded backend with the TensorFlow.js modules bound to it. */
export interface LoadedBackend {
  tf: Tf;
  tfl: Tfl;
  info: BackendInfo;
  /** Makes this backend the current one again (another model may have switched it). Synchronous. */
  activate(): void;
}

/** A forced backend could not load. */
export class NnBackendError extends GitmlError {
  constructor(name: BackendName, reason: string, install: string) {
    super('E_NN_BACKEND', `backend \`${name}\` could not be loaded: ${reason}. ${install}`, { data: { backend: name, reason }, exitCode: 1 });
  }
}

/** What the native packages are called, and what the user does to get each backend. */
const PACKAGES: Record<BackendName, string> = {
  'tfjs-node-gpu': '@tensorflow/tfjs-node-gpu',
  'tfjs-node': '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

function installHint(name: BackendName): string {
  const pkg = PACKAGES[name];
  if (name === 'tfjs-node-gpu')
    return `Install it with \`npm install ${pkg}@4\` (it downloads libtensorflow with CUDA at install time and needs an NVIDIA GPU with CUDA and cuDNN), or use \`backend: auto\``;
  if (name === 'tfjs-node') return `Install it with \`npm install ${pkg}@4\` (it downloads libtensorflow at install time, so it needs internet then), or use \`backend: auto\``;
  return `It ships with gitml; reinstall gitml's dependencies (\`npm install\`), or use \`backend: auto\``;
}

/** TensorFlow's name for the backend a package registers. */
const REGISTERED: Record<BackendName, string> = { 'tfjs-node-gpu': 'tensorflow', 'tfjs-node': 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

let modules: Promise<{ tf: Tf; tfl: Tfl }> | undefined;

async function loadModules(): Promise<{ tf: Tf; tfl: Tfl }> {
  modules ??= (async () => {
    const tf = (await import('@tensorflow/tfjs-core')) as Tf;
    // Silences the "looks like you are running TensorFlow.js in Node.js" banner and the other development warnings.
    tf.enableProdMode();
    const tfl = (await import('@tensorflow/tfjs-layers')) as Tfl;
    return { tf, tfl };
  })();
  return modules;
}

const loaded = new Map<BackendName, Promise<LoadedBackend>>();

/**
 * Loads the backend `choice` names (`auto`: the first of `BACKENDS` that loads) and makes it the current one.
 * A forced backend that cannot load is an `NnBackendError` that says how to install it.
 */
export async function loadBackend(choice: BackendChoice = 'auto'): Promise<LoadedBackend> {
  if (choice !== 'auto') return loadOne(choice);
  const skipped: BackendInfo['skipped'] = [];
  for (const name of BACKENDS) {
    try {
      const backend = await loadOne(name);
      return { ...backend, info: { ...backend.info, skipped } };
    } catch (err) {
      if (!(err instanceof NnBackendError)) throw err;
      skipped.push({ name, reason: String(err.data.reason) });
    }
  }
  // The plain JS backend ships with gitml; reaching here means the installation is broken.
  throw new NnBackendError('cpu', 'no TensorFlow.js backend loaded', installHint('cpu'));
}

function loadOne(name: BackendName): Promise<LoadedBackend> {
  let pending = loaded.get(name);
  if (!pending) {
    pending = initialize(name);
    loaded.set(name, pending);
    // A failure is not remembered as loaded: the next call tries again and reports the same error.
    pending.catch(() => loaded.delete(name));
  }
  return pending.then((backend) => {
    backend.activate();
    return backend;
  });
}

async function initialize(name: BackendName): Promise<LoadedBackend> {
  const { tf, tfl } = await loadModules();
  const registered = REGISTERED[name];
  const fail = (reason: string, cause?: unknown): never => {
    const err = new NnBackendError(name, reason, installHint(name));
    if (cause !== undefined) Object.defineProperty(err, 'cause', { value: cause });
    throw err;
  };
  if (name === 'tfjs-node' || name === 'tfjs-node-gpu') {
    // The native TensorFlow library logs its start-up to stderr unless told not to.
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
    try {
      // A name held in a variable: the packages are optional and absent from package.json, and bundlers must not
      // try to resolve them.
      const pkg: string = PACKAGES[name];
      await import(pkg);
    } catch (err) {
      const code = (err as { code?: string }).code;
      fail(code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' ? `${PACKAGES[name]} is not installed` : `${PACKAGES[name]} failed to load (${(err as Error).message})`, err);
    }
    // The package registers its backend on the copy of tfjs-core it imports; a different copy leaves ours without it.
    if (tf.findBackendFactory(registered) == null)
      fail(`${PACKAGES[name]} registered its backend with another copy of @tensorflow/tfjs-core than gitml's (${tf.version_core}); install a 4.x version that shares it`);
  } else if (name === 'wasm') {
    try {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      // The .wasm binaries are read from the package's own folder: no network, whatever the working directory.
      const dist = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
      wasm.setWasmPaths(`${dist}/`);
      // One thread: deterministic results, and no worker threads competing with the pipeline's own parallelism.
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      wasm.setThreadsCount(1);
    } catch (err) {
      fail(`${PACKAGES[name]} failed to load (${(err as Error).message})`, err);
    }
  } else {
    try {
      await import('@tensorflow/tfjs-backend-cpu');
    } catch (err) {
      fail(`${PACKAGES[name]} failed to load (${(err as Error).message})`, err);
    }
  }
  let ok = false;
  try {
    ok = await tf.setBackend(registered);
  } catch (err) {
    fail((err as Error).message, err);
  }
  if (!ok) fail(`TensorFlow.js could not initialize it`);
  if (name === 'tfjs-node-gpu' && !isGpu(tf)) fail('the native library found no usable GPU (CUDA and cuDNN must be installed)');

  const gpu = name === 'tfjs-node-gpu';
  const info: BackendInfo = {
    name,
    tfjsVersion: tf.version_core,
    deterministic: !gpu,
    ...(gpu ? { reason: 'GPU kernels (cuDNN) may sum in a different order from run to run, so results can differ in the last bits' } : {}),
    skipped: [],
  };
  const activate = (): void => {
    if (tf.getBackend() === registered) return;
    // An initialized backend is switched to synchronously: the promise only reports what already happened.
    void tf.setBackend(registered);
    if (tf.getBackend() !== registered) throw new NnBackendError(name, 'it could not be made the current backend again', installHint(name));
  };
  return { tf, tfl, info, activate };
}

/** Whether the native backend runs on a GPU: tfjs-node-gpu without CUDA falls back to the CPU silently. */
function isGpu(tf: Tf): boolean {
  const backend = tf.backend() as unknown as { binding?: { isUsingGpuDevice?: () => boolean } };
  return backend.binding?.isUsingGpuDevice?.() ?? true;
}

