import { expect, type Locator, type Page } from '@playwright/test';

/** The Projects view: create a project and open it. */
export class ProjectsPage {
  readonly nameInput: Locator;
  readonly createButton: Locator;
  readonly cards: Locator;

  constructor(readonly page: Page) {
    this.nameInput = page.getByTestId('new-project-name');
    this.createButton = page.getByTestId('create-project');
    this.cards = page.getByTestId('project-card');
  }

  /** Opens the app at the URL `graft serve` printed (it carries the token in its fragment). */
  async goto(url: string): Promise<void> {
    await this.page.goto(url);
  }

  async show(): Promise<void> {
    await this.page.getByTestId('nav-projects').click();
    await expect(this.nameInput).toBeVisible();
  }

  card(name: string): Locator {
    return this.cards.filter({ has: this.page.getByTestId('project-name').getByText(name, { exact: true }) });
  }

  /** Creates a project; it opens in the Library at once. */
  async createProject(name: string): Promise<void> {
    await this.nameInput.fill(name);
    await this.createButton.click();
    await expect(this.page.getByTestId('library-title')).toHaveText(name);
  }

  async openProject(name: string): Promise<void> {
    await this.card(name).getByTestId('open-project').click();
    await expect(this.page.getByTestId('library-title')).toHaveText(name);
  }
}
