// An in-memory Graft for component tests: every call of the contract, with the same
// observable behaviour the services promise (events, undo/redo, counts), and no transport.

import { paletteColour } from '../../../../common/class-palette';
import type {
  CallArgs,
  CallName,
  CallResult,
  Calls,
  ClassInfo,
  EventName,
  Events,
  GraftApi,
  Id,
  ImageDetail,
  ImageFilter,
  ImageStatus,
  ImportSummary,
  LabelChangeResult,
  PickerView,
  PickResult,
  ProjectSummary,
  SourceFolder,
  Split,
  SplitCounts,
  SplitRatios,
  SplitSummary,
} from '../../../../common/contract';
import { parseCallArgs } from '../../../../common/contract-schemas';
import { GraftError } from '../../../../common/errors';
import { classNameKey, describeLayout, folderLabel, unlabelledReason } from '../../../../common/folder-layout';
import type { HealthFinding } from '../../../../common/health';
import { EventHub } from './event-hub';
import { createFakeAdaptation } from './fake-adaptation';
import { createFakeBackboneCompare } from './fake-backbone-compare';
import { createFakeBackbones } from './fake-backbones';
import { createFakeExports, type FakeLocation } from './fake-exports';
import { createFakeHealth } from './fake-health';
import { createFakeSuggestions, type FakeSuggestionSeed } from './fake-suggestions';
import { createFakeTraining } from './fake-training';

/** A folder on the fake disk the picker browses and imports read. */
export interface FakeFolder {
  name: string;
  photos?: number;
  unreadable?: string[];
  children?: FakeFolder[];
}

export interface FakeProjectSeed {
  name: string;
  classes?: string[];
  photos?: number;
  /** Photo index -> class name, for photos that start labelled. */
  labels?: Record<number, string>;
  /** Photo index -> split, as an import that found split folders (`train/`, `val/`) gives. */
  splits?: Record<number, Split>;
  problems?: { relPath: string; status: 'unreadable' | 'missing'; errorCode: string | null; error: string | null }[];
  opened?: boolean;
}

export interface FakeApiOptions {
  disk?: FakeFolder;
  projects?: FakeProjectSeed[];
  /** Milliseconds between the steps of a training run; raise it to act while a run is going. */
  trainingStepMs?: number;
  /** Makes every training run fail with this message. */
  trainingFailure?: string;
  /** Milliseconds between the steps of an import, an export or a batch prediction. */
  jobStepMs?: number;
  /** Dataset health findings by project name (the fake cannot find any itself). */
  healthFindings?: Record<string, HealthFinding[]>;
  /** Label suggestions by project name (the fake runs no model). */
  suggestions?: Record<string, FakeSuggestionSeed[]>;
}

export interface FakeApi extends GraftApi {
  /** Every call made, in order. */
  readonly log: { name: CallName; args: unknown }[];
  argsOf<N extends CallName>(name: N): CallArgs<N>[];
  /** As if the user deleted an export's folder: its record stays and reads as missing. */
  deleteExportFiles(exportId: Id): void;
}

type Handlers = { [N in CallName]: (args: Calls[N]['args']) => Calls[N]['result'] };

interface FakeProject {
  id: Id;
  name: string;
  createdAt: string;
  lastOpenedAt: string | null;
}

interface FakeImage extends Omit<ImageDetail, 'newDomain'> {
  projectId: Id;
  splitSource: keyof SplitSummary['sources'] | null;
}

type FakeClass = Omit<ClassInfo, 'count'>;

interface LabelChange {
  imageId: Id;
  from: Id | null;
  to: Id | null;
}

interface History {
  batches: LabelChange[][];
  applied: number;
}

/** What a picker chooses: photos for a project, or a location to read or write. */
type PickPurpose = { kind: 'source'; projectId: Id; labelsFromSubfolders: boolean } | { kind: 'location' };

interface Picker {
  purpose: PickPurpose;
  trail: string[];
}

const DEFAULT_DISK: FakeFolder = { name: '/home/user/Pictures', children: [] };

function removeWhere<T>(list: T[], predicate: (item: T) => boolean): void {
  for (let i = list.length - 1; i >= 0; i--) if (predicate(list[i])) list.splice(i, 1);
}

export function createFakeApi(options: FakeApiOptions = {}): FakeApi {
  // A copy: `picker:newFolder` adds folders to it, never to the caller's (or the default) disk.
  const disk = structuredClone(options.disk ?? DEFAULT_DISK);
  const projects: FakeProject[] = [];
  const folders: SourceFolder[] = [];
  const images: FakeImage[] = [];
  const classes: FakeClass[] = [];
  const histories = new Map<Id, History>();
  /** Folders marked as new-domain photos (domains:setFolder). */
  const targetFolders = new Set<Id>();
  const splitSettings = new Map<Id, { seed: number; ratios: SplitRatios }>();
  const pickers = new Map<string, Picker>();
  /** Paths chosen in a picker, most recent first. */
  const recentFolders: string[] = [];
  /** Where each picked folder sits on the fake disk; seeded folders have no files to rescan. */
  const trails = new Map<Id, string[]>();
  /** Chosen locations: token -> where the folder sits on the fake disk. */
  const locations = new Map<string, string[]>();
  const imports = new Map<Id, ImportSummary>();
  /** The class level chosen when a folder was added with `folders:add` (1 otherwise). */
  const classLevels = new Map<Id, number>();
  const cancelled = new Set<Id>();
  const log: FakeApi['log'] = [];
  const hub = new EventHub(() => {});
  let nextId = 1;
  let clock = Date.parse('2025-01-01T00:00:00Z');

  const newId = () => nextId++;
  const now = () => {
    clock += 1000;
    return new Date(clock).toISOString();
  };
  const emit = <E extends EventName>(event: E, payload: Events[E]) =>
    queueMicrotask(() => hub.dispatch(event, payload));

  function find<T extends { id: Id }>(list: T[], id: Id, code: GraftError['code'], what: string): T {
    const item = list.find((x) => x.id === id);
    if (!item) throw new GraftError(code, `${what} ${id} does not exist.`);
    return item;
  }
  const project = (id: Id) => find(projects, id, 'PROJECT_NOT_FOUND', 'Project');
  const folder = (id: Id) => find(folders, id, 'FOLDER_NOT_FOUND', 'Folder');
  const cls = (id: Id) => find(classes, id, 'CLASS_NOT_FOUND', 'Class');
  const imagesOf = (projectId: Id) => images.filter((i) => i.projectId === projectId);
  const classesOf = (projectId: Id) =>
    classes.filter((c) => c.projectId === projectId).sort((a, b) => a.order - b.order);

  function summary(p: FakeProject): ProjectSummary {
    const own = imagesOf(p.id);
    return {
      ...p,
      imageCount: own.filter((i) => i.status === 'ok').length,
      labelledCount: own.filter((i) => i.status === 'ok' && i.classId !== null).length,
      problemCount: own.filter((i) => i.status === 'unreadable' || i.status === 'missing').length,
    };
  }

  function classInfo(c: FakeClass): ClassInfo {
    const own = images.filter((i) => i.classId === c.id && i.status === 'ok');
    return { ...c, count: own.length, newDomainCount: own.filter((i) => targetFolders.has(i.folderId)).length };
  }

  function cleanName(name: string, what: string): string {
    const clean = name.trim();
    if (!clean) throw new GraftError('BAD_REQUEST', `A ${what} needs a name.`);
    return clean;
  }

  function createClass(projectId: Id, name: string, colour?: string): FakeClass {
    const clean = cleanName(name, 'class');
    const own = classesOf(projectId);
    if (own.some((c) => c.name.toLowerCase() === clean.toLowerCase())) {
      throw new GraftError('NAME_TAKEN', `A class named “${clean}” already exists.`);
    }
    const used = new Set(own.map((c) => c.shortcut));
    const created: FakeClass = {
      id: newId(),
      projectId,
      name: clean,
      colour: colour ?? paletteColour(own.length),
      shortcut: ['1', '2', '3', '4', '5', '6', '7', '8', '9'].find((k) => !used.has(k)) ?? null,
      order: own.length,
    };
    classes.push(created);
    return created;
  }

  function addImage(
    projectId: Id,
    folderId: Id,
    relPath: string,
    status: ImageStatus,
    fields: Partial<FakeImage> = {},
  ) {
    const image: FakeImage = {
      id: newId(),
      projectId,
      folderId,
      name: relPath.split('/').pop() ?? relPath,
      relPath,
      status,
      classId: null,
      split: null,
      splitSource: null,
      width: status === 'ok' ? 640 : null,
      height: status === 'ok' ? 480 : null,
      sizeBytes: 120_000,
      contentHash: status === 'ok' ? `hash-${relPath}` : null,
      errorCode: null,
      error: null,
      labelOrigin: null,
      labelledAt: null,
      excluded: false,
      ...fields,
    };
    images.push(image);
    return image;
  }

  function history(projectId: Id): History {
    let h = histories.get(projectId);
    if (!h) {
      h = { batches: [], applied: 0 };
      histories.set(projectId, h);
    }
    return h;
  }

  function historyResult(projectId: Id, changed: number): LabelChangeResult {
    const h = history(projectId);
    return { changed, canUndo: h.applied > 0, canRedo: h.applied < h.batches.length };
  }

  function setLabel(image: FakeImage, classId: Id | null, origin: ImageDetail['labelOrigin']) {
    image.classId = classId;
    image.labelOrigin = classId === null ? null : origin;
    image.labelledAt = classId === null ? null : now();
  }

  function matches(image: FakeImage, filter: ImageFilter): boolean {
    if (filter.kind !== 'problems' && filter.split !== undefined && image.split !== filter.split) return false;
    if (filter.kind !== 'problems' && filter.domain !== undefined) {
      if (targetFolders.has(image.folderId) !== (filter.domain === 'target')) return false;
    }
    switch (filter.kind) {
      case 'all':
        return image.status === 'ok';
      case 'unlabelled':
        return image.status === 'ok' && image.classId === null;
      case 'class':
        return image.status === 'ok' && image.classId === filter.classId;
      case 'problems':
        return image.status === 'unreadable' || image.status === 'missing';
    }
  }

  function splitCounts(list: FakeImage[]): SplitCounts {
    const count = (split: Split) => list.filter((i) => i.split === split).length;
    return { train: count('train'), val: count('val'), test: count('test') };
  }

  function putInSplit(image: FakeImage, split: Split | null, source: FakeImage['splitSource']) {
    image.split = split;
    image.splitSource = split === null ? null : source;
  }

  /** A seeded order of `list`, the same for the same seed. */
  function shuffled(list: FakeImage[], seed: number): FakeImage[] {
    return [...list].sort((a, b) => ((a.id * 7919 + seed) % 104729) - ((b.id * 7919 + seed) % 104729));
  }

  function splitSummary(projectId: Id): SplitSummary {
    const labelled = imagesOf(projectId).filter((i) => i.status === 'ok' && i.classId !== null);
    const settings = splitSettings.get(projectId);
    return {
      seed: settings?.seed ?? null,
      ratios: settings?.ratios ?? null,
      perClass: classesOf(projectId).map((c) => {
        const own = labelled.filter((i) => i.classId === c.id);
        const count = (split: Split) => own.filter((i) => i.split === split).length;
        return { classId: c.id, train: count('train'), val: count('val'), test: count('test') };
      }),
      sources: {
        folders: splitCounts(labelled.filter((i) => i.splitSource === 'folders')),
        generated: splitCounts(labelled.filter((i) => i.splitSource === 'generated')),
        byHand: splitCounts(labelled.filter((i) => i.splitSource === 'byHand')),
      },
      unassigned: labelled.filter((i) => i.split === null).length,
    };
  }

  function nodeAt(trail: string[]): FakeFolder {
    let node = disk;
    for (const name of trail) {
      const child = node.children?.find((c) => c.name === name);
      if (!child) throw new GraftError('FOLDER_MISSING', `The folder “${name}” is no longer there.`);
      node = child;
    }
    return node;
  }

  function openPicker(purpose: PickPurpose): PickResult {
    const pickerId = `picker-${newId()}`;
    pickers.set(pickerId, { purpose, trail: [] });
    return { status: 'browse', view: pickerView(pickerId) };
  }

  function location(token: string): FakeLocation {
    const trail = locations.get(token);
    if (!trail) throw new GraftError('NOT_FOUND', 'This folder is no longer known. Choose it again.');
    const node = nodeAt(trail);
    return {
      path: [disk.name, ...trail].join('/'),
      folders: (node.children ?? []).map((c) => c.name),
      files: filesUnder(node, []).map(({ relPath, readable }) => ({ relPath, readable })),
    };
  }

  function pickerView(pickerId: string): PickerView {
    const picker = pickers.get(pickerId);
    if (!picker) throw new GraftError('PICKER_EXPIRED', 'This folder browser has closed. Open it again.');
    const node = nodeAt(picker.trail);
    return {
      pickerId,
      path: [disk.name, ...picker.trail].join('/'),
      canGoUp: picker.trail.length > 0,
      // Counted recursively, as main counts them (every fake folder is small enough to count).
      folders: (node.children ?? []).map((c) => ({
        name: c.name,
        imageCount: filesUnder(c, []).length,
        imageCountComplete: true,
      })),
      imagesHere: filesUnder(node, []).length,
      imagesHereComplete: true,
      recent: [...recentFolders],
    };
  }

  type FakeFile = { relPath: string; readable: boolean };

  function filesUnder(node: FakeFolder, prefix: string[]): FakeFile[] {
    const here = prefix.join('/');
    const at = (name: string) => (here ? `${here}/${name}` : name);
    const files: FakeFile[] = [
      ...Array.from({ length: node.photos ?? 0 }, (_, i) => ({
        relPath: at(`photo-${String(i + 1).padStart(4, '0')}.jpg`),
        readable: true,
      })),
      ...(node.unreadable ?? []).map((name) => ({ relPath: at(name), readable: false })),
    ];
    for (const child of node.children ?? []) files.push(...filesUnder(child, [...prefix, child.name]));
    return files;
  }

  function runImport(jobId: Id, f: SourceFolder) {
    const trail = trails.get(f.id);
    const files = trail ? filesUnder(nodeAt(trail), []) : [];
    const base = { jobId, projectId: f.projectId, folderId: f.id, photosPerSecond: 50 };
    const totals = { added: 0, unchanged: 0, unreadable: 0, labelled: 0 };
    const step = (index: number) => {
      if (cancelled.has(jobId) || index === files.length)
        return finish(cancelled.has(jobId) ? 'cancelled' : 'finished');
      const file = files[index];
      const existing = images.find((i) => i.folderId === f.id && i.relPath === file.relPath);
      if (existing) totals.unchanged++;
      else if (!file.readable) {
        totals.unreadable++;
        addImage(f.projectId, f.id, file.relPath, 'unreadable', {
          errorCode: 'IMAGE_UNREADABLE',
          error: 'The file is not an image Graft can read.',
        });
      } else {
        totals.added++;
        const image = addImage(f.projectId, f.id, file.relPath, 'ok');
        const { className } = folderLabel(file.relPath, classLevels.get(f.id) ?? 1);
        if (f.labelsFromSubfolders && className) {
          const target =
            classesOf(f.projectId).find((c) => classNameKey(c.name) === classNameKey(className)) ??
            createClass(f.projectId, className);
          setLabel(image, target.id, 'folder-name');
          totals.labelled++;
        }
      }
      const done = index + 1;
      hub.dispatch('import:progress', {
        ...base,
        phase: 'importing',
        done,
        total: files.length,
        unreadable: totals.unreadable,
        etaSeconds: (files.length - done) / 50,
      });
      setTimeout(() => step(done), options.jobStepMs ?? 0);
    };
    const finish = (status: ImportSummary['status']) => {
      f.lastScannedAt = now();
      const result: ImportSummary = {
        jobId,
        folderId: f.id,
        status,
        scanned: files.length,
        ...totals,
        updated: 0,
        duplicates: 0,
        missing: 0,
        conflicts: 0,
        labelNote: f.labelsFromSubfolders
          ? unlabelledReason(
              describeLayout(
                files.map((file) => file.relPath),
                classLevels.get(f.id) ?? 1,
              ),
            )
          : null,
        skipped: [],
        skippedTotal: 0,
        hidden: 0,
        seconds: 0.5,
        error: null,
      };
      imports.set(f.id, result);
      hub.dispatch('import:finished', { ...result, projectId: f.projectId });
      hub.dispatch('classes:changed', { projectId: f.projectId });
      hub.dispatch('labels:changed', { projectId: f.projectId });
    };
    setTimeout(() => {
      hub.dispatch('import:progress', {
        ...base,
        phase: 'scanning',
        done: 0,
        total: 0,
        unreadable: 0,
        etaSeconds: null,
      });
      step(0);
    }, 0);
  }

  const fakeBackbones = createFakeBackbones({ location });
  const fakeExports = createFakeExports({
    experiment: (experimentId) => handlers['experiments:get']({ experimentId }),
    image: (imageId) => handlers['images:get']({ imageId }),
    backbone: fakeBackbones.find,
    location,
    dispatch: (event, payload) => hub.dispatch(event, payload),
    now,
    newId,
    stepMs: options.jobStepMs ?? 0,
  });

  const handlers: Handlers = {
    'app:info': () => ({
      version: '0.0.0-fake',
      transport: 'host',
      dataDir: '/fake/data',
      schemaVersion: 1,
      readOnly: null,
    }),

    'projects:list': () =>
      projects
        .map(summary)
        .sort((a, b) => (b.lastOpenedAt ?? b.createdAt).localeCompare(a.lastOpenedAt ?? a.createdAt) || b.id - a.id),
    'projects:create': ({ name }) => {
      const clean = cleanName(name, 'project');
      if (projects.some((p) => p.name.toLowerCase() === clean.toLowerCase())) {
        throw new GraftError('NAME_TAKEN', `A project named “${clean}” already exists.`);
      }
      const created: FakeProject = { id: newId(), name: clean, createdAt: now(), lastOpenedAt: null };
      projects.push(created);
      emit('projects:changed', {});
      return summary(created);
    },
    'projects:rename': ({ projectId, name }) => {
      const p = project(projectId);
      const clean = cleanName(name, 'project');
      if (projects.some((o) => o.id !== projectId && o.name.toLowerCase() === clean.toLowerCase())) {
        throw new GraftError('NAME_TAKEN', `A project named “${clean}” already exists.`);
      }
      p.name = clean;
      emit('projects:changed', {});
      return summary(p);
    },
    'projects:delete': ({ projectId }) => {
      project(projectId);
      projects.splice(
        projects.findIndex((p) => p.id === projectId),
        1,
      );
      removeWhere(images, (i) => i.projectId === projectId);
      removeWhere(classes, (c) => c.projectId === projectId);
      removeWhere(folders, (f) => f.projectId === projectId);
      emit('projects:changed', {});
      return { deleted: true };
    },
    'projects:open': ({ projectId }) => {
      const p = project(projectId);
      p.lastOpenedAt = now();
      return summary(p);
    },
    'projects:last': () => {
      const opened = projects.filter((p) => p.lastOpenedAt !== null);
      opened.sort((a, b) => (b.lastOpenedAt ?? '').localeCompare(a.lastOpenedAt ?? ''));
      return opened[0] ? summary(opened[0]) : null;
    },

    'folders:list': ({ projectId }) => folders.filter((f) => f.projectId === projectId),
    'folders:pick': ({ projectId, labelsFromSubfolders }) => {
      project(projectId);
      return openPicker({ kind: 'source', projectId, labelsFromSubfolders });
    },
    'folders:add': ({ projectId, location: token, labelsFromSubfolders, classLevel }) => {
      const { path } = location(token);
      const trail = locations.get(token)!;
      let added = folders.find((f) => f.projectId === project(projectId).id && f.path === path);
      if (!added) {
        added = { id: newId(), projectId, path, labelsFromSubfolders, lastScannedAt: null, present: true };
        folders.push(added);
        trails.set(added.id, [...trail]);
      }
      added.labelsFromSubfolders = labelsFromSubfolders;
      if (classLevel !== undefined) classLevels.set(added.id, classLevel);
      return added;
    },
    'folders:remove': ({ folderId }) => {
      const f = folder(folderId);
      folders.splice(folders.indexOf(f), 1);
      removeWhere(images, (i) => i.folderId === folderId);
      emit('labels:changed', { projectId: f.projectId });
      emit('classes:changed', { projectId: f.projectId });
      return { removed: true };
    },
    'picker:enter': ({ pickerId, name }) => {
      const view = pickerView(pickerId);
      if (!view.folders.some((f) => f.name === name)) throw new GraftError('NOT_FOUND', `No folder “${name}” here.`);
      pickers.get(pickerId)?.trail.push(name);
      return pickerView(pickerId);
    },
    'picker:up': ({ pickerId }) => {
      pickerView(pickerId);
      pickers.get(pickerId)?.trail.pop();
      return pickerView(pickerId);
    },
    'picker:go': ({ pickerId, path }) => {
      pickerView(pickerId);
      const picker = pickers.get(pickerId)!;
      // The fake disk's paths: absolute from its root's name, or names below the folder shown.
      const typed = path.trim();
      const names = (typed.startsWith(disk.name) ? typed.slice(disk.name.length) : typed).split('/').filter(Boolean);
      const trail = typed.startsWith(disk.name) ? names : [...picker.trail, ...names];
      try {
        nodeAt(trail);
      } catch {
        throw new GraftError('FOLDER_NOT_FOUND', `There is no folder ${typed} that the picker can open.`);
      }
      picker.trail = trail;
      return pickerView(pickerId);
    },
    'picker:home': ({ pickerId }) => {
      pickerView(pickerId);
      pickers.get(pickerId)!.trail = [];
      return pickerView(pickerId);
    },
    'picker:newFolder': ({ pickerId, name }) => {
      pickerView(pickerId);
      const picker = pickers.get(pickerId)!;
      if (picker.purpose.kind !== 'location') {
        throw new GraftError('BAD_REQUEST', 'New folders are made only when choosing where to save.');
      }
      const node = nodeAt(picker.trail);
      if (node.children?.some((c) => c.name === name)) {
        throw new GraftError('NAME_TAKEN', `There is already something named “${name}” here.`);
      }
      node.children = [...(node.children ?? []), { name }];
      picker.trail.push(name);
      return pickerView(pickerId);
    },
    'picker:choose': ({ pickerId }) => {
      const { path } = pickerView(pickerId);
      const { purpose, trail } = pickers.get(pickerId)!;
      pickers.delete(pickerId);
      removeWhere(recentFolders, (dir) => dir === path);
      recentFolders.unshift(path);
      if (purpose.kind === 'location') {
        const token = `location-${newId()}`;
        locations.set(token, [...trail]);
        return { status: 'location', token, path };
      }
      const existing = folders.find((f) => f.projectId === purpose.projectId && f.path === path);
      if (existing) return { status: 'chosen', folder: existing };
      const created: SourceFolder = {
        id: newId(),
        projectId: purpose.projectId,
        path,
        labelsFromSubfolders: purpose.labelsFromSubfolders,
        lastScannedAt: null,
        present: true,
      };
      folders.push(created);
      trails.set(created.id, [...trail]);
      return { status: 'chosen', folder: created };
    },
    'picker:cancel': ({ pickerId }) => {
      pickers.delete(pickerId);
      return { cancelled: true };
    },

    'import:start': ({ folderId }) => {
      const jobId = newId();
      runImport(jobId, folder(folderId));
      return { jobId };
    },
    'import:cancel': ({ jobId }) => {
      cancelled.add(jobId);
      return { cancelling: true };
    },
    'import:last': ({ folderId }) => imports.get(folderId) ?? null,
    'import:preview': ({ location: token, classLevel = 1 }) => {
      const where = location(token);
      const layout = describeLayout(
        where.files.filter((f) => f.readable).map((f) => f.relPath),
        classLevel,
      );
      return {
        path: where.path,
        photoCount: where.files.length,
        classLevel,
        maxLevel: layout.maxLevel,
        suggestedLevel: layout.suggestedLevel,
        classes: layout.classes.map((c) => ({
          name: c.name,
          count: c.count,
          samples: c.samples.map((relPath) => ({ relPath, thumbnail: null })),
        })),
        splitFolders: layout.splitFolders,
        unlabelled: { count: layout.unlabelled.count, samples: layout.unlabelled.samples },
        note: unlabelledReason(layout),
      };
    },

    'images:list': ({ projectId, filter }) =>
      imagesOf(project(projectId).id)
        .filter((i) => matches(i, filter))
        .map(({ id, name, status, classId, split, folderId }) => ({
          id,
          name,
          status,
          classId,
          split,
          newDomain: targetFolders.has(folderId),
        })),
    'images:get': ({ imageId }) => {
      const { projectId: _, splitSource: __, ...detail } = find(images, imageId, 'IMAGE_NOT_FOUND', 'Photo');
      return { ...detail, newDomain: targetFolders.has(detail.folderId) };
    },
    'images:problems': ({ projectId }) =>
      imagesOf(projectId)
        .filter((i) => matches(i, { kind: 'problems' }))
        .map(({ id, relPath, status, errorCode, error }) => ({ id, relPath, status, errorCode, error })),
    // The fake's photos have no content, so none copies another and no labels conflict.
    'images:duplicates': ({ projectId }) => {
      project(projectId);
      return [];
    },

    'classes:list': ({ projectId }) => classesOf(project(projectId).id).map(classInfo),
    'classes:create': ({ projectId, name, colour }) => {
      project(projectId);
      const created = createClass(projectId, name, colour);
      emit('classes:changed', { projectId });
      return classInfo(created);
    },
    'classes:update': ({ classId, name, colour, shortcut }) => {
      const c = cls(classId);
      if (name !== undefined) {
        const clean = cleanName(name, 'class');
        const clash = classesOf(c.projectId).some(
          (o) => o.id !== classId && o.name.toLowerCase() === clean.toLowerCase(),
        );
        if (clash) throw new GraftError('NAME_TAKEN', `A class named “${clean}” already exists.`);
        c.name = clean;
      }
      if (colour !== undefined) c.colour = colour;
      if (shortcut !== undefined) {
        if (shortcut !== null && !/^[a-y1-9]$/i.test(shortcut))
          throw new GraftError('BAD_REQUEST', 'Not a shortcut key.');
        const key = shortcut?.toLowerCase() ?? null;
        for (const other of classesOf(c.projectId)) if (key && other.shortcut === key) other.shortcut = null;
        c.shortcut = key;
      }
      emit('classes:changed', { projectId: c.projectId });
      return classInfo(c);
    },
    'classes:reorder': ({ projectId, classIds }) => {
      classIds.forEach((id, order) => {
        cls(id).order = order;
      });
      emit('classes:changed', { projectId });
      return classesOf(projectId).map(classInfo);
    },
    'classes:merge': ({ sourceId, targetId }) => {
      const source = cls(sourceId);
      const target = cls(targetId);
      for (const image of images) if (image.classId === sourceId) image.classId = targetId;
      classes.splice(classes.indexOf(source), 1);
      emit('classes:changed', { projectId: target.projectId });
      emit('labels:changed', { projectId: target.projectId });
      return classInfo(target);
    },
    'classes:delete': ({ classId }) => {
      const c = cls(classId);
      const labelled = images.filter((i) => i.classId === classId);
      for (const image of labelled) setLabel(image, null, null);
      classes.splice(classes.indexOf(c), 1);
      emit('classes:changed', { projectId: c.projectId });
      emit('labels:changed', { projectId: c.projectId });
      return { deleted: true, unlabelled: labelled.length };
    },

    'labels:assign': ({ projectId, imageIds, classId }) => {
      if (classId !== null) cls(classId);
      const batch: LabelChange[] = [];
      for (const imageId of imageIds) {
        const image = find(images, imageId, 'IMAGE_NOT_FOUND', 'Photo');
        if (image.classId === classId) continue;
        batch.push({ imageId, from: image.classId, to: classId });
        setLabel(image, classId, 'user');
      }
      if (batch.length > 0) {
        const h = history(projectId);
        h.batches.splice(h.applied, h.batches.length, batch);
        h.applied = h.batches.length;
        emit('labels:changed', { projectId, changes: batch });
      }
      return historyResult(projectId, batch.length);
    },
    'labels:undo': ({ projectId }) => {
      const h = history(projectId);
      const batch = h.applied > 0 ? h.batches[--h.applied] : [];
      for (const change of batch)
        setLabel(find(images, change.imageId, 'IMAGE_NOT_FOUND', 'Photo'), change.from, 'user');
      const changes = batch.map(({ imageId, from, to }) => ({ imageId, from: to, to: from }));
      if (batch.length > 0) emit('labels:changed', { projectId, changes });
      return historyResult(projectId, batch.length);
    },
    'labels:redo': ({ projectId }) => {
      const h = history(projectId);
      const batch = h.applied < h.batches.length ? h.batches[h.applied++] : [];
      for (const change of batch) setLabel(find(images, change.imageId, 'IMAGE_NOT_FOUND', 'Photo'), change.to, 'user');
      if (batch.length > 0) emit('labels:changed', { projectId, changes: batch });
      return historyResult(projectId, batch.length);
    },
    'labels:history': ({ projectId }) => historyResult(projectId, 0),
    'labels:conflicts': ({ projectId }) => {
      project(projectId);
      return [];
    },
    'labels:resolveConflict': ({ conflictId }) => {
      throw new GraftError('NOT_FOUND', `Label conflict ${conflictId} does not exist or was resolved.`);
    },

    'splits:generate': ({ projectId, seed, ratios, replaceAll }) => {
      splitSettings.set(projectId, { seed, ratios });
      const total = ratios.train + ratios.val + ratios.test;
      for (const c of classesOf(projectId)) {
        const own = imagesOf(projectId).filter(
          (i) =>
            i.status === 'ok' &&
            i.classId === c.id &&
            (replaceAll || i.splitSource === null || i.splitSource === 'generated'),
        );
        const trainEnd = Math.round((own.length * ratios.train) / total);
        const valEnd = trainEnd + Math.round((own.length * ratios.val) / total);
        shuffled(own, seed).forEach((image, i) => {
          putInSplit(image, i < trainEnd ? 'train' : i < valEnd ? 'val' : 'test', 'generated');
        });
      }
      emit('labels:changed', { projectId });
      return splitSummary(projectId);
    },
    'splits:carveTest': ({ projectId, seed, fraction }) => {
      for (const c of classesOf(projectId)) {
        const own = imagesOf(projectId).filter(
          (i) => i.status === 'ok' && i.classId === c.id && (i.split === 'train' || i.split === 'val'),
        );
        for (const image of shuffled(own, seed).slice(0, Math.round(own.length * fraction))) {
          putInSplit(image, 'test', 'generated');
        }
      }
      emit('labels:changed', { projectId });
      return splitSummary(projectId);
    },
    'splits:set': ({ projectId, imageIds, split }) => {
      const skipped = { NEW_DOMAIN: 0, UNREADABLE: 0 };
      for (const id of imageIds) {
        const image = find(images, id, 'IMAGE_NOT_FOUND', 'Photo');
        if (image.status !== 'ok') skipped.UNREADABLE++;
        else if (targetFolders.has(image.folderId)) skipped.NEW_DOMAIN++;
        else putInSplit(image, split, 'byHand');
      }
      emit('labels:changed', { projectId });
      const codes = (['NEW_DOMAIN', 'UNREADABLE'] as const).filter((code) => skipped[code] > 0);
      return {
        ...splitSummary(projectId),
        skipped: codes.map((code) => ({ code, count: skipped[code], message: `${skipped[code]} left out (${code})` })),
      };
    },
    'splits:summary': ({ projectId }) => splitSummary(projectId),

    ...fakeBackbones.handlers,
    ...createFakeBackboneCompare({
      requireProject: project,
      backbones: () => fakeBackbones.handlers['backbones:list']({}),
      labelledClasses: (projectId) =>
        imagesOf(projectId).flatMap((i) => (i.status === 'ok' && i.classId !== null ? [i.classId] : [])),
      dispatch: (event, payload) => hub.dispatch(event, payload),
      now,
      newId,
    }),
    ...createFakeTraining({
      requireProject: project,
      backbone: fakeBackbones.find,
      images: imagesOf,
      classes: classesOf,
      dispatch: (event, payload) => hub.dispatch(event, payload),
      now,
      newId,
      stepMs: options.trainingStepMs ?? 0,
      failure: options.trainingFailure ?? null,
    }),

    'locations:pick': () => openPicker({ kind: 'location' }),
    ...createFakeAdaptation({
      folderProject: (folderId) => folder(folderId).projectId,
      images: imagesOf,
      targets: targetFolders,
    }),
    ...fakeExports.handlers,
    ...createFakeHealth({
      findings: options.healthFindings ?? {},
      projectName: (projectId) => projects.find((p) => p.id === projectId)?.name ?? '',
      labelledCount: (projectId) => imagesOf(projectId).filter((i) => i.status === 'ok' && i.classId !== null).length,
      dispatch: (event, payload) => hub.dispatch(event, payload),
      newId,
    }),
    ...createFakeSuggestions({
      suggestions: options.suggestions ?? {},
      projectName: (projectId) => projects.find((p) => p.id === projectId)?.name ?? '',
      projectOfExperiment: (experimentId) => handlers['experiments:get']({ experimentId }).projectId,
      images: imagesOf,
      classes: classesOf,
      assign: (projectId, imageIds, classId) => handlers['labels:assign']({ projectId, imageIds, classId }),
      dispatch: (event, payload) => hub.dispatch(event, payload),
      newId,
    }),
  };

  function seed(seedProject: FakeProjectSeed) {
    const created = handlers['projects:create']({ name: seedProject.name });
    const projectId = created.id;
    const byName = new Map((seedProject.classes ?? []).map((name) => [name, createClass(projectId, name).id]));
    const f: SourceFolder = {
      id: newId(),
      projectId,
      path: `${disk.name}/${seedProject.name}`,
      labelsFromSubfolders: false,
      lastScannedAt: now(),
      present: true,
    };
    folders.push(f);
    for (let i = 0; i < (seedProject.photos ?? 0); i++) {
      const image = addImage(projectId, f.id, `photo-${String(i + 1).padStart(4, '0')}.jpg`, 'ok');
      const label = seedProject.labels?.[i];
      if (label) setLabel(image, byName.get(label) ?? null, 'user');
      const split = seedProject.splits?.[i];
      if (split) putInSplit(image, split, 'folders');
    }
    for (const problem of seedProject.problems ?? []) {
      addImage(projectId, f.id, problem.relPath, problem.status, {
        errorCode: problem.errorCode,
        error: problem.error,
      });
    }
    if (seedProject.opened) handlers['projects:open']({ projectId });
  }
  options.projects?.forEach(seed);

  return {
    log,
    argsOf: <N extends CallName>(name: N) =>
      log.filter((entry) => entry.name === name).map((e) => e.args as CallArgs<N>),
    async call<N extends CallName>(name: N, args: CallArgs<N>): Promise<CallResult<N>> {
      log.push({ name, args });
      await Promise.resolve();
      const handler = handlers[name] as (a: CallArgs<N>) => CallResult<N>;
      // The real transports' schema check, so component tests prove the renderer sends valid arguments.
      const checked = parseCallArgs(name, JSON.parse(JSON.stringify(args)));
      return JSON.parse(JSON.stringify(handler(checked)));
    },
    deleteExportFiles: fakeExports.deleteFiles,
    on: (event, listener) => hub.on(event, listener),
    mediaUrl: (imageId, size) => `fake-media://${imageId}/${size}`,
  };
}
