import { familyOf, type FamilyModel } from '../families';
import { gennetVersion } from '../version';
import type { SaveOptions } from './artifact';
import { ARTIFACT_FILES } from './modelBytes';
import { writeModelFiles } from './modelFolder';

/** Format version of counted models' folders (see `ARTIFACT_VERSION`). */
const COUNTED_VERSION = 5;

/**
 * Saves a counted model (an n-gram model…) in the folder `dir` like a network (see `saveArtifact`: only gennet's
 * files replaced, one writer, a failed save leaves the previous model): its family's files, `vocab.json` and
 * `config.json` (its family's record beside the common header).
 */
export async function saveCountedArtifact(
  dir: string,
  model: FamilyModel,
  options: Pick<SaveOptions, 'run' | 'notes'> = {},
): Promise<void> {
  const family = familyOf(model);
  if (family.training !== 'counts') throw new Error(`A ${family.name} model is a network; save it with saveArtifact.`);
  const { record, files } = family.toFiles(model);
  const config = {
    format: 'generative-networks',
    version: COUNTED_VERSION,
    createdAt: new Date().toISOString(),
    backend: 'none',
    gennetVersion: gennetVersion(),
    ...record,
    run: options.run ?? null,
    notes: options.notes ?? {},
  };
  await writeModelFiles(
    dir,
    { ...files, [ARTIFACT_FILES.vocab]: new Uint8Array(Buffer.from(JSON.stringify(model.vocab.toJSON()))) },
    config,
  );
}
