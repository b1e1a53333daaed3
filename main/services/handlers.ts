import type { CallArgs, CallName, CallResult, PickResult } from '../../common/contract';
import { parseCallArgs } from '../../common/contract-schemas';
import { GraftError } from '../../common/errors';
import { APP_VERSION } from '../version';
import { asId, asIds, asModel, asText } from './arguments';
import { modelInFolder } from './backbones';
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
    }),

    'projects:list': () => app.projects.list(),
    'projects:create': (a) => app.projects.create(asText(a.name, 'name')),
    'projects:rename': (a) => app.projects.rename(asId(a.projectId, 'projectId'), asText(a.name, 'name')),
    'projects:delete': (a) => {
      app.projects.delete(asId(a.projectId, 'projectId'));
      return { deleted: true };
    },
    'projects:open': (a) => app.projects.open(asId(a.projectId, 'projectId')),
    'projects:last': () => app.projects.lastOpened(),

    'folders:list': (a) => app.folders.list(asId(a.projectId, 'projectId')),
    'folders:pick': (a) => {
      const projectId = asId(a.projectId, 'projectId');
      app.projects.get(projectId);
      return chooseFolder({ kind: 'source', projectId, labelsFromSubfolders: a.labelsFromSubfolders === true });
    },
    'folders:remove': (a) => {
      app.folders.remove(asId(a.folderId, 'folderId'));
      return { removed: true };
    },
    'folders:add': (a) => {
      const folder = app.folders.add(a.projectId, app.locations.resolve(a.location), a.labelsFromSubfolders);
      if (a.classLevel !== undefined) app.importer.setClassLevel(folder.id, a.classLevel);
      return folder;
    },
    'picker:enter': (a) => app.picker.enter(asText(a.pickerId, 'pickerId'), asText(a.name, 'name')),
    'picker:up': (a) => app.picker.up(asText(a.pickerId, 'pickerId')),
    'picker:choose': (a) => app.chosenFolder(app.picker.choose(asText(a.pickerId, 'pickerId'))),
    'picker:cancel': (a) => {
      app.picker.cancel(asText(a.pickerId, 'pickerId'));
      return { cancelled: true };
    },

    'import:start': (a) => ({ jobId: app.importer.start(asId(a.folderId, 'folderId')).jobId }),
    'import:cancel': (a) => ({ cancelling: app.importer.cancel(asId(a.jobId, 'jobId')) }),
    'import:last': (a) => app.importer.last(asId(a.folderId, 'folderId')),
    'import:preview': (a) => previewImport(app.locations.resolve(a.location), a.classLevel ?? 1),

    'images:list': (a) => app.images.list(asId(a.projectId, 'projectId'), a.filter),
    'images:get': (a) => app.images.get(asId(a.imageId, 'imageId')),
    'images:problems': (a) => app.images.problems(asId(a.projectId, 'projectId')),
    'images:duplicates': (a) => app.sameContent.duplicates(a.projectId),

    'classes:list': (a) => app.classes.list(asId(a.projectId, 'projectId')),
    'classes:create': (a) => app.classes.create(asId(a.projectId, 'projectId'), asText(a.name, 'name'), a.colour),
    'classes:update': (a) =>
      app.classes.update(asId(a.classId, 'classId'), { name: a.name, colour: a.colour, shortcut: a.shortcut }),
    'classes:reorder': (a) => app.classes.reorder(asId(a.projectId, 'projectId'), asIds(a.classIds, 'classIds')),
    'classes:merge': (a) => app.classes.merge(asId(a.sourceId, 'sourceId'), asId(a.targetId, 'targetId')),
    'classes:delete': (a) => ({ deleted: true, unlabelled: app.classes.delete(asId(a.classId, 'classId')) }),

    'labels:assign': (a) =>
      app.labels.assign(
        asId(a.projectId, 'projectId'),
        asIds(a.imageIds, 'imageIds'),
        a.classId === null ? null : asId(a.classId, 'classId'),
      ),
    'labels:undo': (a) => app.labels.undo(asId(a.projectId, 'projectId')),
    'labels:redo': (a) => app.labels.redo(asId(a.projectId, 'projectId')),
    'labels:history': (a) => app.labels.history(asId(a.projectId, 'projectId')),
    'labels:conflicts': (a) => app.sameContent.conflicts(a.projectId),
    'labels:resolveConflict': (a) => app.sameContent.resolve(a.conflictId, a.classId),

    'splits:generate': (a) =>
      app.splits.generate(asId(a.projectId, 'projectId'), a.seed, a.ratios, a.replaceAll === true),
    'splits:carveTest': (a) => app.splits.carveTest(asId(a.projectId, 'projectId'), a.seed, a.fraction),
    'splits:set': (a) => app.splits.set(asId(a.projectId, 'projectId'), asIds(a.imageIds, 'imageIds'), a.split),
    'splits:summary': (a) => app.splits.summary(asId(a.projectId, 'projectId')),

    'backbones:list': () => app.backbones.list(),
    'backbones:import': (a) =>
      app.backbones.importFile(modelInFolder(app.locations.resolve(a.location), a.fileName), {
        name: a.name,
        tap: a.tap,
        normalisation: a.normalisation,
        licence: a.licence,
      }),
    'training:preflight': (a) => app.training.preflight(asId(a.projectId, 'projectId'), a.config),
    'training:start': (a) => ({
      experimentId: app.training.start(asId(a.projectId, 'projectId'), a.config).experimentId,
    }),
    'training:cancel': (a) => ({ cancelling: app.training.cancel(asId(a.experimentId, 'experimentId')) }),

    'experiments:list': (a) => app.experiments.list(asId(a.projectId, 'projectId')),
    'experiments:get': (a) => app.experiments.get(asId(a.experimentId, 'experimentId')),
    'experiments:rename': (a) => app.experiments.rename(asId(a.experimentId, 'experimentId'), asText(a.name, 'name')),
    'experiments:annotate': (a) =>
      app.experiments.annotate(asId(a.experimentId, 'experimentId'), asText(a.note, 'note')),
    'experiments:delete': (a) => {
      app.experiments.delete(asId(a.experimentId, 'experimentId'));
      return { deleted: true };
    },
    'experiments:compare': (a) => app.experiments.compare(asId(a.a, 'a'), asId(a.b, 'b')),
    'experiments:predictions': (a) =>
      app.experiments.predictions(asId(a.experimentId, 'experimentId'), {
        split: a.split,
        trueClassId: a.trueClassId === undefined ? undefined : asId(a.trueClassId, 'trueClassId'),
        predictedClassId: a.predictedClassId === undefined ? undefined : asId(a.predictedClassId, 'predictedClassId'),
      }),
    'experiments:mistakes': (a) => app.experiments.mistakes(asId(a.experimentId, 'experimentId'), a.limit),

    'locations:pick': () => chooseFolder({ kind: 'location' }),

    'exports:support': (a) => app.exports.support(asId(a.experimentId, 'experimentId')),
    'exports:start': (a) => ({
      exportId: app.exports.start(asId(a.experimentId, 'experimentId'), {
        format: a.format,
        location: app.locations.resolve(a.location),
        folderName: asText(a.folderName, 'folderName'),
        rawInput: a.rawInput === true,
        overwrite: a.overwrite === true,
      }).exportId,
    }),
    'exports:list': (a) => app.exports.list(asId(a.experimentId, 'experimentId')),

    'predict:photos': (a) => app.prediction.photos(asModel(a.model), a.photos, a.topK),
    'predict:images': (a) => app.prediction.projectImages(asModel(a.model), asIds(a.imageIds, 'imageIds'), a.topK),
    'predict:batchStart': (a) => ({
      jobId: app.prediction.startBatch(
        asModel(a.model),
        app.locations.resolve(a.source),
        app.locations.resolve(a.destination),
        a.topK,
      ).jobId,
    }),
    'predict:batchCancel': (a) => ({ cancelling: app.prediction.cancelBatch(asId(a.jobId, 'jobId')) }),
  };
}

/** Runs one call by name with untrusted arguments, as both transports do. */
export async function dispatch(handlers: Handlers, name: string, args: unknown): Promise<unknown> {
  if (!Object.hasOwn(handlers, name)) throw new GraftError('UNKNOWN_CALL', `There is no call named “${name}”.`);
  const handler = handlers[name as CallName] as (a: unknown) => unknown;
  return handler(parseCallArgs(name as CallName, args));
}
