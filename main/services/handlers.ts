import type { CallArgs, CallName, CallResult, PickResult } from '../../common/contract';
import { parseCallArgs } from '../../common/contract-schemas';
import { GraftError } from '../../common/errors';
import { APP_VERSION } from '../version';
import { modelInFolder } from './backbones';
import { exportDataset } from './dataset-export';
import type { PickPurpose } from './folder-picker';
import type { GraftApp } from './graft-app';
import { previewImport } from './import-preview';

export type Handlers = { [N in CallName]: (args: CallArgs<N>) => Promise<CallResult<N>> | CallResult<N> };

/** How a transport lets the user choose a folder: Electron's native dialog or the host's picker. */
export type FolderChooser = (purpose: PickPurpose) => Promise<PickResult>;

export interface TransportInfo {
  transport: 'electron' | 'host';
  chooseFolder?: FolderChooser;
}

/** Every contract call bound to the services; both transports serve exactly this map. */
export function createHandlers(app: GraftApp, info: TransportInfo): Handlers {
  const browse: FolderChooser = async (purpose) => ({ status: 'browse', view: await app.picker.open(purpose) });
  const chooseFolder = info.chooseFolder ?? browse;

  return {
    'app:info': () => ({
      version: APP_VERSION,
      transport: info.transport,
      dataDir: app.ctx.paths.root,
      schemaVersion: app.schemaVersion,
      readOnly: app.readOnly,
    }),

    'projects:list': () => app.projects.list(),
    'projects:create': (a) => app.projects.create(a.name),
    'projects:rename': (a) => app.projects.rename(a.projectId, a.name),
    'projects:delete': (a) => {
      app.projects.delete(a.projectId);
      return { deleted: true };
    },
    'projects:open': (a) => app.projects.open(a.projectId),
    'projects:last': () => app.projects.lastOpened(),

    'folders:list': (a) => app.folders.list(a.projectId),
    'folders:pick': (a) => {
      const projectId = a.projectId;
      app.projects.get(projectId);
      return chooseFolder({ kind: 'source', projectId, labelsFromSubfolders: a.labelsFromSubfolders === true });
    },
    'folders:remove': (a) => {
      app.folders.remove(a.folderId);
      return { removed: true };
    },
    'folders:add': (a) => {
      const folder = app.folders.add(a.projectId, app.locations.resolve(a.location), a.labelsFromSubfolders);
      if (a.classLevel !== undefined) app.importer.setClassLevel(folder.id, a.classLevel);
      return folder;
    },
    'picker:enter': (a) => app.picker.enter(a.pickerId, a.name),
    'picker:up': (a) => app.picker.up(a.pickerId),
    'picker:go': (a) => app.picker.go(a.pickerId, a.path),
    'picker:home': (a) => app.picker.home(a.pickerId),
    'picker:newFolder': (a) => app.picker.newFolder(a.pickerId, a.name),
    'picker:choose': async (a) => app.chosenFolder(await app.picker.choose(a.pickerId)),
    'picker:cancel': (a) => {
      app.picker.cancel(a.pickerId);
      return { cancelled: true };
    },

    'import:start': (a) => ({ jobId: app.importer.start(a.folderId).jobId }),
    'import:cancel': (a) => ({ cancelling: app.importer.cancel(a.jobId) }),
    'import:last': (a) => app.importer.last(a.folderId),
    'import:preview': (a) => previewImport(app.locations.resolve(a.location), a.classLevel ?? 1),

    'images:list': (a) => app.images.list(a.projectId, a.filter),
    'images:get': (a) => app.images.get(a.imageId),
    'images:problems': (a) => app.images.problems(a.projectId),
    'images:duplicates': (a) => app.sameContent.duplicates(a.projectId),

    'classes:list': (a) => app.classes.list(a.projectId),
    'classes:create': (a) => app.classes.create(a.projectId, a.name, a.colour),
    'classes:update': (a) => app.classes.update(a.classId, { name: a.name, colour: a.colour, shortcut: a.shortcut }),
    'classes:reorder': (a) => app.classes.reorder(a.projectId, a.classIds),
    'classes:merge': (a) => app.classes.merge(a.sourceId, a.targetId),
    'classes:delete': (a) => ({ deleted: true, unlabelled: app.classes.delete(a.classId) }),

    'labels:assign': (a) => app.labels.assign(a.projectId, a.imageIds, a.classId),
    'labels:undo': (a) => app.labels.undo(a.projectId),
    'labels:redo': (a) => app.labels.redo(a.projectId),
    'labels:history': (a) => app.labels.history(a.projectId),
    'labels:conflicts': (a) => app.sameContent.conflicts(a.projectId),
    'labels:resolveConflict': (a) => app.sameContent.resolve(a.conflictId, a.classId),

    'splits:generate': (a) => app.splits.generate(a.projectId, a.seed, a.ratios, a.replaceAll === true),
    'splits:carveTest': (a) => app.splits.carveTest(a.projectId, a.seed, a.fraction),
    'splits:set': (a) => app.splits.set(a.projectId, a.imageIds, a.split),
    'splits:summary': (a) => app.splits.summary(a.projectId),

    'backbones:list': () => app.backbones.list(),
    'backbones:import': (a) =>
      app.backbones.importFile(modelInFolder(app.locations.resolve(a.location), a.fileName), {
        name: a.name,
        tap: a.tap,
        normalisation: a.normalisation,
        licence: a.licence,
      }),
    'backbones:compare': (a) => ({ jobId: app.backboneCompare.start(a.projectId, a.backboneIds).jobId }),
    'backbones:compareCancel': (a) => ({ cancelling: app.backboneCompare.cancel(a.jobId) }),
    'backbones:lastComparison': (a) => app.backboneCompare.last(a.projectId),
    'training:preflight': async (a) => {
      const preflight = await app.training.preflight(a.projectId, a.config);
      // Health only adds advice: if it cannot be computed, the run's own checks still stand.
      const health = await app.health.preflightWarning(a.projectId).catch(() => null);
      return health ? { ...preflight, warnings: [...preflight.warnings, health] } : preflight;
    },
    'training:start': (a) => ({
      experimentId: app.training.start(a.projectId, a.config).experimentId,
    }),
    'training:cancel': (a) => ({ cancelling: app.training.cancel(a.experimentId) }),

    'experiments:list': (a) => app.experiments.list(a.projectId),
    'experiments:get': (a) => app.experiments.get(a.experimentId),
    'experiments:rename': (a) => app.experiments.rename(a.experimentId, a.name),
    'experiments:annotate': (a) => app.experiments.annotate(a.experimentId, a.note),
    'experiments:delete': (a) => {
      app.experiments.delete(a.experimentId);
      return { deleted: true };
    },
    'experiments:compare': (a) => app.experiments.compare(a.a, a.b),
    'experiments:predictions': (a) =>
      app.experiments.predictions(a.experimentId, {
        split: a.split,
        trueClassId: a.trueClassId,
        predictedClassId: a.predictedClassId,
      }),
    'experiments:mistakes': (a) => app.experiments.mistakes(a.experimentId, a.split, a.limit),
    'domains:counts': (a) => app.domains.counts(a.projectId),
    'domains:setFolder': (a) => {
      app.domains.setFolderDomain(a.folderId, a.domain);
      return { domain: a.domain };
    },
    'adaptation:start': (a) => ({
      experimentId: app.adaptation.start(a.experimentId, { method: a.method, seed: a.seed }).experimentId,
    }),
    'adaptation:cancel': (a) => ({ cancelling: app.adaptation.cancel(a.experimentId) }),
    'adaptation:report': (a) => app.adaptation.report(a.experimentId),

    'locations:pick': () => chooseFolder({ kind: 'location' }),

    'exports:support': (a) => app.exports.support(a.experimentId),
    'exports:start': (a) => ({
      exportId: app.exports.start(a.experimentId, {
        format: a.format,
        location: app.locations.resolve(a.location),
        folderName: a.folderName,
        rawInput: a.rawInput === true,
        overwrite: a.overwrite === true,
      }).exportId,
    }),
    'exports:list': (a) => app.exports.list(a.experimentId),

    'predict:photos': (a) => app.prediction.photos(a.model, a.photos, a.topK),
    'predict:images': (a) => app.prediction.projectImages(a.model, a.imageIds, a.topK),
    'predict:batchStart': (a) => ({
      jobId: app.prediction.startBatch(
        a.model,
        app.locations.resolve(a.source),
        app.locations.resolve(a.destination),
        a.topK,
      ).jobId,
    }),
    'predict:batchCancel': (a) => ({ cancelling: app.prediction.cancelBatch(a.jobId) }),
    'suggestions:compute': (a) => ({ jobId: app.suggestions.start(a.experimentId).jobId }),
    'suggestions:cancel': (a) => ({ cancelling: app.suggestions.cancel(a.jobId) }),
    'suggestions:list': (a) => app.suggestions.list(a.projectId),
    'suggestions:accept': (a) => app.suggestions.accept(a.projectId, a.imageIds),

    'health:report': (a) => app.health.report(a.projectId, a.backboneId),
    'health:check': (a) => ({ jobId: app.health.check(a.projectId, a.backboneId).jobId }),
    'health:cancel': (a) => ({ cancelling: app.health.cancel(a.jobId) }),
    'health:keep': (a) => {
      app.health.keep(a.projectId, a.findingKey);
      return { kept: true };
    },
    'health:exclude': (a) => ({ changed: app.health.setExcluded(a.projectId, a.imageIds, a.excluded) }),
    'dataset:export': (a) =>
      exportDataset(app.ctx, app.splits, app.images, a.projectId, app.locations.resolve(a.location), a.folderName),
  };
}

/** Runs one call by name with untrusted arguments, as both transports do. */
export async function dispatch(handlers: Handlers, name: string, args: unknown): Promise<unknown> {
  if (!Object.hasOwn(handlers, name)) throw new GraftError('UNKNOWN_CALL', `There is no call named “${name}”.`);
  const handler = handlers[name as CallName] as (a: unknown) => unknown;
  return handler(parseCallArgs(name as CallName, args));
}
