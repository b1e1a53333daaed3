import path from 'node:path';
import type { AppInfo, PickResult } from '../../common/contract';
import { isDiskFull } from '../../common/errors';
import { dataPaths } from '../data-dir';
import { schemaVersion, startDatabase } from '../db/connection';
import { AdaptationService } from './adaptation';
import { BackboneCompareService } from './backbone-compare';
import { BackboneService } from './backbones';
import { ClassService } from './classes';
import { openClassifier } from './classifiers';
import type { ServiceContext } from './context';
import { DomainService } from './domains';
import { EventBus } from './event-bus';
import { ExperimentStore } from './experiments';
import { ExportService } from './exports';
import { FolderPicker, type PickPurpose } from './folder-picker';
import { FolderService } from './folders';
import { HealthService } from './health/health-service';
import { ImageService } from './images';
import { JobStore } from './jobs';
import { LabelService } from './labels';
import { LibraryImporter } from './library-import';
import { LocationRegistry } from './locations';
import { PredictionService } from './prediction';
import { ProjectService } from './projects';
import { RecentFolders } from './recent-folders';
import { sweepOrphanedRunFiles } from './run-owned-files';
import { SameContentService } from './same-content';
import { SplitService } from './splits';
import { sweepStaleTempFiles } from './stale-temp-files';
import { SuggestionService } from './suggestions';
import { TrainingService } from './training';

export interface GraftAppOptions {
  dataDir: string;
  /** Where the host's folder picker starts; the user's home folder by default. */
  pickerStartDir?: string;
}

/** Every service over one database: what the Electron adapter, the host and the CLI share. */
export class GraftApp {
  readonly ctx: ServiceContext;
  readonly projects: ProjectService;
  readonly folders: FolderService;
  readonly picker: FolderPicker;
  readonly locations = new LocationRegistry();
  readonly importer: LibraryImporter;
  readonly images: ImageService;
  readonly classes: ClassService;
  readonly labels: LabelService;
  readonly sameContent: SameContentService;
  readonly splits: SplitService;
  readonly backbones: BackboneService;
  readonly backboneCompare: BackboneCompareService;
  readonly experiments: ExperimentStore;
  readonly training: TrainingService;
  readonly domains: DomainService;
  readonly adaptation: AdaptationService;
  readonly exports: ExportService;
  readonly prediction: PredictionService;
  readonly health: HealthService;
  readonly suggestions: SuggestionService;
  /** Set when the data opened on a full disk: see startDatabase. */
  readonly readOnly: AppInfo['readOnly'];

  constructor(options: GraftAppOptions) {
    const paths = dataPaths(options.dataDir);
    const { db, diskFull } = startDatabase(paths.database);
    this.ctx = { db, paths, events: new EventBus(), now: () => new Date().toISOString() };
    this.readOnly = diskFull
      ? {
          code: 'DISK_FULL',
          message:
            'The disk is full, so Graft opened your data read-only: you can look, but nothing can be changed. Free some space and restart Graft.',
        }
      : null;
    sweepStaleTempFiles(paths.root);
    try {
      JobStore.markInterrupted(this.ctx);
      ExperimentStore.markInterrupted(this.ctx);
      ExportService.markInterrupted(this.ctx);
      sweepOrphanedRunFiles(db, paths.root);
    } catch (err) {
      // On a full disk the cut-off jobs stay as they are until a start with room marks them.
      if (!isDiskFull(err)) throw err;
    }
    this.projects = new ProjectService(this.ctx);
    this.folders = new FolderService(this.ctx);
    this.picker = new FolderPicker(
      options.pickerStartDir,
      undefined,
      new RecentFolders(path.join(paths.root, 'recent-folders.json')),
    );
    this.classes = new ClassService(this.ctx);
    this.labels = new LabelService(this.ctx);
    this.sameContent = new SameContentService(this.ctx, this.labels);
    this.importer = new LibraryImporter(this.ctx, this.classes, this.sameContent);
    this.images = new ImageService(this.ctx);
    this.splits = new SplitService(this.ctx);
    this.backbones = new BackboneService(this.ctx);
    this.backboneCompare = new BackboneCompareService(this.ctx, this.splits, this.images, this.backbones);
    this.experiments = new ExperimentStore(this.ctx);
    this.training = new TrainingService(this.ctx, this.experiments, this.splits, this.images, this.backbones);
    this.domains = new DomainService(this.ctx);
    this.adaptation = new AdaptationService(this.ctx, this.experiments, this.domains, this.images, this.backbones);
    this.exports = new ExportService(this.ctx, this.experiments, this.images, this.backbones);
    this.prediction = new PredictionService(this.ctx, this.images, (model) => openClassifier(this, model));
    this.suggestions = new SuggestionService(this.ctx, this.experiments, this.backbones, this.images, this.labels);
    this.health = new HealthService(this.ctx, this.splits, this.images, this.backbones, this.sameContent);
  }

  /** What a chosen folder becomes: a project's photo folder, or a location token. */
  chosenFolder(choice: { dir: string; purpose: PickPurpose }): PickResult {
    if (choice.purpose.kind === 'source') {
      const { projectId, labelsFromSubfolders } = choice.purpose;
      return { status: 'chosen', folder: this.folders.add(projectId, choice.dir, labelsFromSubfolders) };
    }
    return { status: 'location', token: this.locations.register(choice.dir), path: choice.dir };
  }

  get schemaVersion(): number {
    return schemaVersion(this.ctx.db);
  }

  close(): void {
    this.ctx.db.close();
  }
}
