import type * as tf from '@tensorflow/tfjs';
import type { Engine } from './engine';
import { fastEngine } from './fast';
import { layersEngine } from './layers';
import { nativeEngine } from './native';

/** Every engine, fastest first: `auto` takes the first one that is available and supports the network. */
export const ENGINE_REGISTRY: readonly Engine[] = [nativeEngine, fastEngine, layersEngine];

/** Names of the engines. */
export const ENGINES = ENGINE_REGISTRY.map((engine) => engine.name);
/** How an engine is chosen: by the name of a registered engine, or `'auto'` (the fastest that can run the network). */
export type EngineChoice = string;

/** What `gennet engines` lists: each engine, whether it can run here, and why not. */
export interface EngineInfo {
  /** Name to choose it by. */
  name: string;
  /** What it is, in one line. */
  description: string;
  /** Whether it can run on this machine. */
  available: boolean;
  /** Why it is unavailable and how to get it; null when available. */
  reason: string | null;
}

/** Every engine with its availability on this machine. */
export function describeEngines(): EngineInfo[] {
  return ENGINE_REGISTRY.map((engine) => {
    const reason = engine.unavailableReason();
    return { name: engine.name, description: engine.description, available: reason === null, reason };
  });
}

/** The engine called `name`; throws an error listing the engines when there is none. */
export function engineNamed(name: string): Engine {
  const found = ENGINE_REGISTRY.find((engine) => engine.name === name);
  if (found === undefined) throw new Error(`Unknown engine "${name}". Use auto or one of: ${ENGINES.join(', ')}.`);
  return found;
}

/**
 * The one selection policy of training and generation. `auto` takes the fastest engine that is available and
 * supports `network`; a named engine must be able to run it, else the error gives the reason (nothing falls back
 * silently).
 */
export function selectEngine(choice: EngineChoice, network: tf.LayersModel): Engine {
  if (choice !== 'auto') {
    const engine = engineNamed(choice);
    const unavailable = engine.unavailableReason();
    if (unavailable !== null)
      throw new Error(
        `The ${engine.name} engine is not available here: ${unavailable}. ` +
          'Use the engine "auto" (--engine auto) to take one that is.',
      );
    const unsupported = engine.unsupportedReason(network);
    if (unsupported !== null)
      throw new Error(
        `The ${engine.name} engine cannot run this model: ${unsupported}. ` +
          'Use the engine "auto" (--engine auto) to take one that can.',
      );
    return engine;
  }
  const engine = ENGINE_REGISTRY.find((e) => e.unavailableReason() === null && e.unsupportedReason(network) === null);
  if (engine === undefined) {
    const reasons = ENGINE_REGISTRY.map((e) => `${e.name}: ${e.unavailableReason() ?? e.unsupportedReason(network)}`);
    throw new Error(`No engine can run this model (${reasons.join('; ')}).`);
  }
  return engine;
}
