import { expect, type Locator, type Page } from '@playwright/test';

export type LibraryFilter = 'all' | 'unlabelled' | 'problems';

/** Photo name (as the grid shows it) → class id, '' when unlabelled. */
export type GridLabels = Record<string, string>;

/** What the import summary bar says. */
export interface ImportCounts {
  added: number;
  duplicates: number;
  unreadable: number;
  missing: number;
}

/**
 * The few browser APIs the functions run inside the page use: the node-side tsconfig these
 * files compile under has no DOM library, and must not get one (main/ must not use the DOM).
 */
interface PageElement {
  title: string;
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  scrollTop: number;
  readonly clientHeight: number;
  readonly scrollHeight: number;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
  scrollIntoView(options?: { block?: 'start' | 'center' | 'end' | 'nearest' }): void;
}

interface PageGlobals {
  document: { body: PageElement; querySelector(selector: string): PageElement | null };
  requestAnimationFrame(callback: () => void): number;
  MutationObserver: new (
    callback: () => void,
  ) => {
    observe(target: PageElement, options: { childList: boolean; subtree: boolean; characterData: boolean }): void;
  };
  __graftProgress?: string[];
}

const plural = (n: number, one: string) => `${n} ${n === 1 ? one : `${one}s`}`;

/** The host's folder browser: it moves by folder names, never by paths. */
export class FolderPickerDialog {
  readonly root: Locator;
  readonly path: Locator;
  readonly folders: Locator;
  readonly imagesHere: Locator;
  readonly upButton: Locator;
  readonly chooseButton: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId('folder-picker');
    this.path = this.root.getByTestId('picker-path');
    this.folders = this.root.getByTestId('picker-folder');
    this.imagesHere = this.root.getByTestId('picker-images-here');
    this.upButton = this.root.getByTestId('picker-up');
    this.chooseButton = this.root.getByTestId('picker-choose');
  }

  folder(name: string): Locator {
    return this.root.locator(`[data-testid="picker-folder"][data-name=${JSON.stringify(name)}]`);
  }

  /** Clicks a sub-folder's name and waits until the picker shows its contents. */
  async enter(name: string): Promise<void> {
    const before = await this.path.textContent();
    await this.folder(name).click();
    await expect(this.path).not.toHaveText(before ?? '');
    await expect(this.path).toHaveText(new RegExp(`[/\\\\]${escapeRegExp(name)}$`));
  }

  /** "Import this folder": the picker closes and the import starts. */
  async choose(): Promise<void> {
    await this.chooseButton.click();
    await expect(this.root).toHaveCount(0);
  }
}

/** The Library view: filters, the virtualised photo grid, classes, imports and problems. */
export class LibraryPage {
  readonly title: Locator;
  readonly grid: Locator;
  readonly thumbs: Locator;
  readonly currentThumb: Locator;
  readonly selectedThumbs: Locator;
  readonly shownCount: Locator;
  readonly selectedCount: Locator;
  readonly unlabelledCount: Locator;
  readonly undoButton: Locator;
  readonly redoButton: Locator;
  readonly selectAllButton: Locator;
  readonly addPhotosButton: Locator;
  readonly addPhotosDialog: Locator;
  readonly labelsFromSubfolders: Locator;
  readonly picker: FolderPickerDialog;
  readonly importProgress: Locator;
  readonly importSummary: Locator;
  readonly classRows: Locator;
  readonly problemsList: Locator;
  readonly problemRows: Locator;
  readonly previewName: Locator;
  readonly previewClass: Locator;

  constructor(readonly page: Page) {
    this.title = page.getByTestId('library-title');
    this.grid = page.getByTestId('thumbnail-grid');
    this.thumbs = page.getByTestId('thumb');
    this.currentThumb = page.locator('[data-testid="thumb"][data-current="true"]');
    this.selectedThumbs = page.locator('[data-testid="thumb"][aria-pressed="true"]');
    this.shownCount = page.getByTestId('shown-count');
    this.selectedCount = page.getByTestId('selected-count');
    this.unlabelledCount = page.getByTestId('unlabelled-count');
    this.undoButton = page.getByTestId('undo');
    this.redoButton = page.getByTestId('redo');
    this.selectAllButton = page.getByTestId('select-all');
    this.addPhotosButton = page.getByTestId('add-photos');
    this.addPhotosDialog = page.getByTestId('add-photos-dialog');
    this.labelsFromSubfolders = page.getByTestId('labels-from-subfolders');
    this.picker = new FolderPickerDialog(page);
    this.importProgress = page.getByTestId('import-progress');
    this.importSummary = page.getByTestId('import-summary');
    this.classRows = page.getByTestId('class-row');
    this.problemsList = page.getByTestId('problems-list');
    this.problemRows = page.getByTestId('problem-row');
    this.previewName = page.getByTestId('preview-name');
    this.previewClass = page.getByTestId('preview-class');
  }

  async expectOpen(projectName: string): Promise<void> {
    await expect(this.title).toHaveText(projectName);
    await expect(this.page.getByTestId('nav-library')).toHaveAttribute('aria-current', 'page');
    await expect(this.page.getByTestId('nav-project')).toContainText(projectName);
  }

  // ---- filters and counts -------------------------------------------------------------------

  filter(kind: LibraryFilter): Locator {
    return this.page.getByTestId(`filter-${kind}`);
  }

  async showFilter(kind: LibraryFilter): Promise<void> {
    await this.filter(kind).click();
    await expect(this.filter(kind)).toHaveAttribute('aria-pressed', 'true');
  }

  /** The counts on the filter buttons: photos, unlabelled photos and problem files. */
  async expectFilterCounts(counts: { all: number; unlabelled: number; problems: number }): Promise<void> {
    await expect(this.filter('all')).toHaveText(new RegExp(`^\\s*All\\s+${counts.all}\\s*$`));
    await expect(this.filter('unlabelled')).toHaveText(new RegExp(`^\\s*Unlabelled\\s+${counts.unlabelled}\\s*$`));
    await expect(this.filter('problems')).toHaveText(new RegExp(`^\\s*Problems\\s+${counts.problems}\\s*$`));
    await expect(this.unlabelledCount).toHaveText(String(counts.unlabelled));
  }

  /** Narrows the grid to one class (by id) and/or one split; the other half of the filter stays. */
  async chooseClass(classId: string): Promise<void> {
    await this.page.getByTestId('filter-class').selectOption(classId);
  }

  async chooseSplit(split: 'train' | 'val' | 'test' | ''): Promise<void> {
    await this.page.getByTestId('filter-split').selectOption(split);
  }

  /** Generates a split with the panel's settings, replacing earlier ones if asked to confirm. */
  async generateSplit(): Promise<void> {
    await this.page.getByTestId('split-generate').click();
    const replace = this.page.getByTestId('split-replace-all');
    if (await replace.isVisible()) await replace.click();
  }

  /** Train / val / test counts of one class in the splits panel. */
  async splitCounts(classId: string): Promise<{ train: number; val: number; test: number }> {
    const cells = this.page.locator(`[data-testid="split-row"][data-class-id="${classId}"] td`);
    await expect(cells).toHaveCount(3);
    const [train, val, test] = (await cells.allTextContents()).map((t) => Number(t.replace(/\D/g, '')));
    return { train, val, test };
  }

  async expectShown(count: number): Promise<void> {
    await expect(this.shownCount).toHaveText(`${count} shown`);
  }

  async expectSelected(count: number): Promise<void> {
    await expect(this.selectedCount).toHaveText(`${count} selected`);
    if (count === 0) await expect(this.selectedThumbs).toHaveCount(0);
  }

  // ---- the photo grid -----------------------------------------------------------------------

  /** One grid cell by the photo's file name (the cell's title). Exists only while scrolled into view. */
  thumb(name: string): Locator {
    return this.page.locator(`[data-testid="thumb"][title=${JSON.stringify(name)}]`);
  }

  /**
   * Scrolls the virtualised grid until the named photo's cell is rendered and in view.
   * Only rows near the viewport exist in the DOM, so a cell further down must be scrolled to.
   */
  async revealThumb(name: string): Promise<Locator> {
    const found = await this.grid.evaluate(async (grid: PageElement, wanted: string) => {
      const { requestAnimationFrame: raf } = globalThis as unknown as PageGlobals;
      const frames = () => new Promise((resolve) => raf(() => raf(() => resolve(null))));
      const find = () => [...grid.querySelectorAll('[data-testid="thumb"]')].find((el) => el.title === wanted);
      let cell = find();
      if (!cell) {
        grid.scrollTop = 0;
        await frames();
        cell = find();
      }
      while (!cell && grid.scrollTop + grid.clientHeight < grid.scrollHeight) {
        grid.scrollTop += Math.max(1, grid.clientHeight / 2);
        await frames();
        cell = find();
      }
      if (!cell) return false;
      cell.scrollIntoView({ block: 'nearest' });
      await frames();
      return true;
    }, name);
    expect(found, `photo "${name}" is in the grid`).toBe(true);
    const cell = this.thumb(name);
    await expect(cell).toBeInViewport();
    return cell;
  }

  /** Clicks a photo: plain click selects it (and makes it current), Shift adds a range, Control toggles. */
  async clickThumb(name: string, modifiers: ('Shift' | 'Control')[] = []): Promise<void> {
    const cell = await this.revealThumb(name);
    await cell.click({ modifiers });
    await expect(this.currentThumb).toHaveAttribute('title', name);
  }

  async expectCurrent(name: string): Promise<void> {
    await expect(this.currentThumb).toHaveAttribute('title', name);
    await expect(this.previewName).toHaveText(name);
  }

  async expectLabel(name: string, classId: string): Promise<void> {
    const cell = await this.revealThumb(name);
    await expect(cell).toHaveAttribute('data-class-id', classId);
  }

  /**
   * Every photo the grid holds under the current filter with its label, read by scrolling the
   * virtualised grid from top to bottom. Polls until the collection has `expectedCount` photos.
   */
  async gridLabels(expectedCount: number): Promise<GridLabels> {
    let labels: GridLabels = {};
    await expect
      .poll(
        async () => {
          labels = await this.grid.evaluate(async (grid: PageElement) => {
            const { requestAnimationFrame: raf } = globalThis as unknown as PageGlobals;
            const frames = () => new Promise((resolve) => raf(() => raf(() => resolve(null))));
            const seen: Record<string, string> = {};
            const collect = () => {
              for (const el of grid.querySelectorAll('[data-testid="thumb"]')) {
                seen[el.title] = el.dataset.classId ?? '';
              }
            };
            grid.scrollTop = 0;
            await frames();
            collect();
            while (grid.scrollTop + grid.clientHeight < grid.scrollHeight - 1) {
              const before = grid.scrollTop;
              grid.scrollTop += grid.clientHeight;
              await frames();
              collect();
              if (grid.scrollTop === before) break;
            }
            grid.scrollTop = 0;
            await frames();
            return seen;
          });
          return Object.keys(labels).length;
        },
        { message: 'photos read from the grid' },
      )
      .toBe(expectedCount);
    return labels;
  }

  /** Sends a key to the library (the focus must not be in a text field). */
  async press(key: string): Promise<void> {
    await this.page.keyboard.press(key);
  }

  // ---- classes ------------------------------------------------------------------------------

  classRow(name: string): Locator {
    return this.classRows.filter({ has: this.page.getByTestId('class-assign').getByText(name, { exact: true }) });
  }

  async addClass(name: string): Promise<string> {
    await this.page.getByTestId('new-class-name').fill(name);
    await this.page.getByTestId('add-class').click();
    await expect(this.classRow(name)).toHaveCount(1);
    await expect(this.page.getByTestId('new-class-name')).toHaveValue('');
    return this.classId(name);
  }

  async classId(name: string): Promise<string> {
    const id = await this.classRow(name).getAttribute('data-class-id');
    expect(id, `class "${name}" has an id`).toMatch(/^\d+$/);
    return id!;
  }

  classShortcut(name: string): Locator {
    return this.classRow(name).getByTestId('class-shortcut');
  }

  /** Labels the selection (or the current photo) with the class's button. */
  async assignWithButton(name: string): Promise<void> {
    await this.classRow(name).getByTestId('class-assign').click();
  }

  /** Exact count next to each class, in the order given. */
  async expectClassCounts(counts: Record<string, number>): Promise<void> {
    await expect(this.classRows).toHaveCount(Object.keys(counts).length);
    for (const [name, count] of Object.entries(counts)) {
      await expect(this.classRow(name).getByTestId('class-count'), `count of class "${name}"`).toHaveText(
        String(count),
      );
    }
  }

  // ---- adding photos ------------------------------------------------------------------------

  /** Add photos… → the dialog, with "use sub-folder names as labels" set as asked. */
  async openAddPhotos(options: { labelsFromSubfolders: boolean }): Promise<void> {
    await this.addPhotosButton.click();
    await expect(this.addPhotosDialog).toBeVisible();
    await this.labelsFromSubfolders.setChecked(options.labelsFromSubfolders);
  }

  /** Continue from the dialog: the host shows its folder picker; Electron its native dialog. */
  async continueToFolderChoice(): Promise<void> {
    await this.page.getByTestId('pick-folder').click();
    await expect(this.addPhotosDialog).toHaveCount(0);
  }

  /**
   * Records, from now on, every state the import progress bar shows: a small import can finish
   * between two polls of a locator, so a DOM observer in the page keeps what appeared.
   * Returns a function that reads what was seen.
   */
  async recordImportProgress(): Promise<() => Promise<string[]>> {
    await this.page.evaluate(() => {
      const w = globalThis as unknown as PageGlobals;
      const { document } = w;
      const seen: string[] = [];
      w.__graftProgress = seen;
      const look = () => {
        const bar = document.querySelector('[data-testid="import-progress"]');
        const text = bar?.textContent?.replace(/\s+/g, ' ').trim();
        if (text && seen[seen.length - 1] !== text) seen.push(text);
      };
      new w.MutationObserver(look).observe(document.body, { childList: true, subtree: true, characterData: true });
    });
    return () => this.page.evaluate(() => (globalThis as unknown as PageGlobals).__graftProgress ?? []);
  }

  async expectImportSummary(counts: ImportCounts): Promise<void> {
    await expect(this.importSummary).toBeVisible({ timeout: 60_000 });
    await expect(this.importSummary).toContainText('Import finished');
    await expect(this.importSummary.getByTestId('import-added')).toHaveText(`${plural(counts.added, 'photo')} added`);
    await expect(this.importSummary.getByTestId('import-duplicates')).toHaveText(
      plural(counts.duplicates, 'duplicate'),
    );
    await expect(this.importSummary.getByTestId('import-unreadable')).toHaveText(`${counts.unreadable} unreadable`);
    await expect(this.importSummary.getByTestId('import-missing')).toHaveText(`${counts.missing} missing`);
  }

  /**
   * The preview shown before a folder with labels from sub-folders is imported: checks the
   * classes found and their counts, then imports.
   */
  async confirmImportPreview(perClass: Record<string, number>): Promise<void> {
    const preview = this.page.getByTestId('import-preview');
    await expect(preview).toBeVisible();
    const rows = preview.getByTestId('preview-class');
    await expect(rows).toHaveCount(Object.keys(perClass).length);
    for (const [name, count] of Object.entries(perClass)) {
      await expect(rows.and(this.page.locator(`[data-name="${name}"]`)).getByTestId('preview-class-count')).toHaveText(
        String(count),
      );
    }
    await preview.getByTestId('preview-import').click();
    await expect(preview).toHaveCount(0);
  }

  async dismissImportSummary(): Promise<void> {
    await this.importSummary.getByTestId('import-dismiss').click();
    await expect(this.importSummary).toHaveCount(0);
  }

  // ---- problems -----------------------------------------------------------------------------

  problemRow(fileName: string): Locator {
    return this.problemRows.filter({ hasText: fileName });
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
