import path from 'node:path';
import { writeLabelledFolder } from '../../e2e/fixtures/photo-corpus';
import { tempColourProject } from './test-app';

/**
 * The source of adaptation tests: tempColourProject with 10 red and 10 blue training photos, a
 * finished feature-extraction run on them (`seed`, at most 10 epochs), and a folder `<dir>/new`
 * of 6 red and 6 blue other generated photos, written but not added to the project.
 */
export async function trainedColourRun(seed: number) {
  const env = await tempColourProject({ red: 10, blue: 10 });
  await writeLabelledFolder(path.join(env.dir, 'new'), { red: 6, blue: 6 }, { startIndex: 100 });
  const run = env.app.training.start(env.projectId, { seed, maxEpochs: 10 });
  await run.done;
  const [trainingFolder] = env.app.folders.list(env.projectId);
  return { ...env, sourceRunId: run.experimentId, trainingFolderId: trainingFolder.id };
}
