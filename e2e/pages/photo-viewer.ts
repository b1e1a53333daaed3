import { expect, type Locator, type Page } from '@playwright/test';

/** The large photo viewer that Evaluate's photos and the Library's open. */
export class PhotoViewer {
  readonly root: Locator;
  readonly name: Locator;
  readonly caption: Locator;
  readonly cls: Locator;
  readonly split: Locator;
  readonly exclude: Locator;
  readonly suggestion: Locator;
  readonly zoom: Locator;
  readonly showInLibrary: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId('photo-viewer');
    this.name = this.root.getByTestId('viewer-name');
    this.caption = this.root.getByTestId('viewer-caption');
    this.cls = this.root.getByTestId('viewer-class');
    this.split = this.root.getByTestId('viewer-split');
    this.exclude = this.root.getByTestId('viewer-exclude');
    this.suggestion = this.root.getByTestId('viewer-suggestion');
    this.zoom = this.root.getByTestId('viewer-zoom');
    this.showInLibrary = this.root.getByTestId('viewer-show-in-library');
  }

  async expectOpen(name?: string): Promise<void> {
    await expect(this.root).toBeVisible();
    if (name) await expect(this.name).toHaveText(name);
  }

  async imageId(): Promise<string> {
    const id = await this.root.getAttribute('data-image-id');
    expect(id, 'the viewer names its photo').toMatch(/^\d+$/);
    return id!;
  }

  /** Presses a key while the viewer has the focus. */
  async press(key: string): Promise<void> {
    await this.root.press(key);
  }

  /** Relabels with the class's number key and waits until the viewer shows the new class. */
  async relabel(shortcut: string, className: string): Promise<void> {
    await this.press(shortcut);
    await expect(this.cls).toHaveText(className);
  }

  async close(): Promise<void> {
    await this.press('Escape');
    await expect(this.root).toHaveCount(0);
  }
}
