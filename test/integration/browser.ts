// Drives the code-server workbench in Debian's headless Chromium through playwright-core (never a downloaded browser).
// Helpers for UI tests: command palette, webview content frames, editor hovers, screenshots; browser console goes to a log file.
import { appendFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Frame, type FrameLocator, type Locator, type Page } from 'playwright-core';
import { safeName, testResultsDir } from './paths';

/** An editor hover that is showing: its content element. */
const VISIBLE_HOVER = '.monaco-editor .monaco-hover:not(.hidden) .monaco-hover-content';

export const chromiumPath = process.env.TI_CHROMIUM || '/usr/bin/chromium';

const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage', // /dev/shm is small in containers; Chromium crashes on big pages without this
];

export interface OpenWorkbenchOptions {
  /** Names the screenshots and the browser log: test-results/<name>.browser.log. */
  readonly name?: string;
  /** Called when the workbench reports the extension tests' exit code (window.codeAutomationExit); -1 if the page crashed. */
  readonly onExit?: (code: number) => void;
  /** Each browser console line, besides the log file. */
  readonly onConsole?: (line: string) => void;
  /** Wait this long for .monaco-workbench (default 90 s). */
  readonly readyTimeoutMs?: number;
  readonly viewport?: { readonly width: number; readonly height: number };
}

export interface HoverOptions {
  /** 'mouse' moves the pointer over the character (as a user does); 'keyboard' runs "Show or Focus Hover" at the cursor. */
  readonly via?: 'mouse' | 'keyboard';
  /** Wait for a hover whose text matches this (e.g. after "Loading..."); default: any non-empty text. */
  readonly expect?: RegExp;
  readonly timeoutMs?: number;
  /** Editor tab to activate first (e.g. "sample.ts"); default: the active editor. */
  readonly tab?: string;
}

/** The code-server workbench in one Chromium page. */
export class Workbench {
  private constructor(
    readonly browser: Browser,
    readonly context: BrowserContext,
    readonly page: Page,
    readonly name: string,
    readonly browserLog: string,
  ) {}

  /** Launches Chromium (fresh profile), opens `url`, waits for the workbench. */
  static async open(url: string, options: OpenWorkbenchOptions = {}): Promise<Workbench> {
    const name = safeName(options.name ?? 'workbench');
    const browserLog = path.join(testResultsDir(), `${name}.browser.log`);
    writeFileSync(browserLog, `# ${url}\n`);
    const logLine = (line: string) => {
      appendFileSync(browserLog, `${line}\n`);
      options.onConsole?.(line);
    };

    const launch = () => chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs, timeout: 60_000 });
    const browser = await launch().catch(launch); // one retry: a launch can time out on a busy 2-core machine
    try {
      const context = await browser.newContext({ viewport: options.viewport ?? { width: 1400, height: 900 } });
      const page = await context.newPage();
      page.on('console', (msg) => {
        // '%c'-styled lines come from the workbench log service, which also calls codeAutomationLog below: log once.
        if (!msg.text().startsWith('%c')) logLine(`[${msg.type()}] ${msg.text()}`);
      });
      page.on('pageerror', (error) => logLine(`[pageerror] ${error.stack ?? error.message}`));
      page.on('crash', () => {
        logLine('[crash] page crashed');
        options.onExit?.(-1); // nothing will report an exit code any more: fail now instead of at the timeout
      });
      // The workbench calls these when it runs extension tests (same contract as vscode's test/integration/browser).
      await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => logLine(`[workbench ${type}] ${args.map(String).join(' ')}`));
      await page.exposeFunction('codeAutomationExit', (code: number) => {
        logLine(`[harness] codeAutomationExit(${code})`);
        options.onExit?.(code);
      });
      const workbench = new Workbench(browser, context, page, name, browserLog);
      await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
      await workbench.waitForReady(options.readyTimeoutMs ?? 90_000);
      return workbench;
    } catch (error) {
      await browser.close().catch(() => undefined);
      throw error;
    }
  }

  /** The workbench is laid out and connected to the server (status bar and editor area rendered). */
  async waitForReady(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await this.page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: timeoutMs });
    await this.page.locator('.part.editor').waitFor({ state: 'visible', timeout: Math.max(1000, deadline - Date.now()) });
    await this.page.locator('.part.statusbar').waitFor({ state: 'visible', timeout: Math.max(1000, deadline - Date.now()) });
  }

  /**
   * Runs a command by its palette title, e.g. "Transformer Inspector: Open Model" (F1, type, Enter).
   * Retries while the command is not listed yet: contributed commands appear once the remote extension host has scanned extensions.
   */
  async runCommand(title: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    for (let attempt = 1; ; attempt++) {
      await this.openQuickInput('F1');
      await input.fill(`>${title}`);
      const row = this.page.locator('.quick-input-list .monaco-list-row', {
        has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(title)}$`) }),
      });
      try {
        await row.first().waitFor({ state: 'visible', timeout: Math.min(500 + attempt * 500, 5_000, Math.max(500, deadline - Date.now())) });
      } catch (error) {
        if (Date.now() >= deadline) throw new Error(`command "${title}" not found in the command palette after ${attempt} attempt(s)`);
        continue;
      }
      // Enter runs the focused row; make sure the focused row is ours (recently used commands may sort first).
      if (!(await row.first().evaluate((el) => el.classList.contains('focused')))) await row.first().click();
      else await this.page.keyboard.press('Enter');
      // The palette has gone once its text has: the command may show a quick input of its own at once.
      await this.page.waitForFunction(
        (typed) => {
          const box = document.querySelector<HTMLInputElement>('.quick-input-widget .quick-input-box input');
          return !box || box.offsetParent === null || box.value !== typed;
        },
        `>${title}`,
        { timeout: 10_000 },
      );
      return;
    }
  }

  /** Opens the quick input with `key` (F1 = commands, Control+P = files), closing any open one first. */
  private async openQuickInput(key: string): Promise<Locator> {
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    for (let attempt = 0; ; attempt++) {
      await this.page.keyboard.press('Escape');
      await this.page.keyboard.press(key);
      try {
        await input.waitFor({ state: 'visible', timeout: 5_000 });
        return input;
      } catch (error) {
        if (attempt >= 2) throw error;
      }
    }
  }

  /** Clicks the editor tab with this title (exact), making it the active editor. */
  async activateTab(title: string, timeoutMs = 30_000): Promise<Locator> {
    const tab = this.tab(title);
    await tab.waitFor({ state: 'visible', timeout: timeoutMs });
    await tab.click();
    return tab;
  }

  tab(title: string): Locator {
    return this.page.locator('.tabs-container .tab', { has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(title)}$`) }) }).first();
  }

  /**
   * The content frame of the webview shown in the editor tab `title` (outer iframe.webview → inner #active-frame).
   * The Frame is replaced when the extension sets webview.html again; call this again after that.
   */
  async webviewFrame(title: string, timeoutMs = 30_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    const outer = await this.webviewElement(title, timeoutMs);
    const inner = outer.contentFrame().locator('iframe#active-frame');
    await inner.waitFor({ state: 'attached', timeout: Math.max(1000, deadline - Date.now()) });
    const frame = await (await inner.elementHandle())?.contentFrame();
    if (!frame) throw new Error(`webview "${title}": no #active-frame content`);
    await frame.waitForLoadState('domcontentloaded', { timeout: Math.max(1000, deadline - Date.now()) });
    return frame;
  }

  /** A FrameLocator for the same content; re-resolved on every use, so it survives html updates. */
  async webviewFrameLocator(title: string, timeoutMs = 30_000): Promise<FrameLocator> {
    const outer = await this.webviewElement(title, timeoutMs);
    return outer.contentFrame().frameLocator('iframe#active-frame');
  }

  /** The visible iframe.webview lying over the editor group that holds tab `title`. */
  private async webviewElement(title: string, timeoutMs: number): Promise<Locator> {
    const deadline = Date.now() + timeoutMs;
    const tab = await this.activateTab(title, timeoutMs);
    const group = this.page.locator('.editor-group-container', { has: tab });
    while (true) {
      const area = await group.locator('.editor-container').boundingBox();
      const frames = this.page.locator('iframe.webview');
      for (let i = 0; i < (await frames.count()); i++) {
        const candidate = frames.nth(i);
        const box = await candidate.boundingBox();
        if (!area || !box || box.width < 2 || box.height < 2 || !(await candidate.isVisible())) continue;
        const cx = box.x + box.width / 2;
        const cy = box.y + box.height / 2;
        const name = await candidate.getAttribute('name'); // a uuid per webview: stable where nth(i) is not
        if (name && cx >= area.x && cx <= area.x + area.width && cy >= area.y && cy <= area.y + area.height) {
          return this.page.locator(`iframe.webview[name="${name}"]`);
        }
      }
      if (Date.now() > deadline) throw new Error(`no visible webview for editor tab "${title}"`);
      await this.page.waitForTimeout(250);
    }
  }

  /** Moves the cursor of the active editor to line/column (1-based) with "Go to Line/Column". */
  async goToLine(line: number, column = 1): Promise<void> {
    const input = await this.openQuickInput('F1');
    await input.fill(`:${line}:${column}`);
    // A workbench still starting up can drop the first Enter (seen on a fresh machine): press it again.
    for (let attempt = 1; ; attempt++) {
      await this.page.keyboard.press('Enter');
      try {
        await input.waitFor({ state: 'hidden', timeout: 5_000 });
        return;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
  }

  /** The content of the editor hover that is showing. */
  get visibleHover(): Locator {
    return this.page.locator(VISIBLE_HOVER).first();
  }

  /** Waits for a visible hover (one a command opened) whose text matches `expect`; returns its text. */
  async waitForHover(expect: RegExp, timeoutMs = 120_000): Promise<string> {
    const found = await this.page.waitForFunction(
      ([css, source]) => [...document.querySelectorAll(css)].map((node) => (node as HTMLElement).innerText).find((text) => new RegExp(source).test(text)),
      [VISIBLE_HOVER, expect.source] as const,
      { timeout: timeoutMs },
    );
    return String(await found.jsonValue()).trim();
  }

  /** Hovers the character at line/column (1-based) of the active editor and returns the hover widget's text. */
  async hoverAt(line: number, column: number, options: HoverOptions = {}): Promise<string> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    if (options.tab) await this.activateTab(options.tab, timeoutMs);
    const editor = this.page.locator('.editor-group-container.active .monaco-editor[data-uri]').first();
    await editor.waitFor({ state: 'visible', timeout: Math.min(timeoutMs, 10_000) }).catch(() => {
      throw new Error('hoverAt: the active editor is not a text editor (a webview?); pass { tab } or activate one with activateTab/openFile');
    });
    await this.goToLine(line, column);
    const hover = this.visibleHover;
    const expectText = options.expect ?? /\S/;
    let lastText = '';
    while (Date.now() < deadline) {
      if (options.via === 'keyboard') {
        await this.runCommand('Show or Focus Hover');
      } else {
        const cursor = await editor.locator('.cursors-layer .cursor').first().boundingBox();
        if (!cursor) throw new Error('no cursor in the active editor');
        await this.page.mouse.move(1, 1); // leave first, so the next move is a fresh hover
        await this.page.mouse.move(cursor.x + 4, cursor.y + cursor.height / 2, { steps: 3 });
      }
      try {
        await hover.waitFor({ state: 'visible', timeout: Math.min(5_000, Math.max(500, deadline - Date.now())) });
        const settle = Date.now() + Math.min(10_000, Math.max(0, deadline - Date.now()));
        while (Date.now() < settle) {
          lastText = (await hover.innerText().catch(() => '')).trim();
          if (lastText && !/^Loading\.*$/.test(lastText) && expectText.test(lastText)) return lastText;
          await this.page.waitForTimeout(100);
        }
      } catch {
        /* no hover yet: try again */
      }
    }
    throw new Error(`no hover matching ${expectText} at ${line}:${column} (last text: ${JSON.stringify(lastText)})`);
  }

  /**
   * Answers VS Code's own file dialog in the browser (a path box in the quick input): waits for its
   * title, types `folder` until the box holds it (the dialog writes its start folder in as it opens),
   * then presses the accept button.
   */
  async answerPathDialog(title: string, value: string, acceptLabel: string): Promise<void> {
    const quickInput = this.page.locator('.quick-input-widget');
    await quickInput.locator('.quick-input-title', { hasText: title }).waitFor();
    const pathBox = quickInput.locator('input.input');
    for (let attempt = 0; (await pathBox.inputValue()) !== value; attempt++) {
      if (attempt >= 20) throw new Error(`the file dialog kept ${JSON.stringify(await pathBox.inputValue())} instead of ${JSON.stringify(value)}`);
      await pathBox.fill(value);
      await this.page.waitForTimeout(250);
    }
    await quickInput.locator('.monaco-button', { hasText: acceptLabel }).click();
  }

  /** Opens a workspace file by (relative) path with Quick Open. */
  async openFile(relativePath: string): Promise<void> {
    const input = await this.openQuickInput('Control+P');
    await input.fill(relativePath);
    const base = path.basename(relativePath);
    await this.page
      .locator('.quick-input-list .monaco-list-row.focused', { has: this.page.locator('.label-name', { hasText: base }) })
      .waitFor({ state: 'visible', timeout: 20_000 });
    await this.page.keyboard.press('Enter');
    await this.tab(base).waitFor({ state: 'visible', timeout: 20_000 });
  }

  /** Saves test-results/<name>-<label>.png and returns its path. */
  async screenshot(label: string): Promise<string> {
    const file = path.join(testResultsDir(), `${this.name}-${safeName(label)}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** Saves test-results/<name>-<label>.png of the smallest region holding every locator (plus `padding`), e.g. for docs. */
  async screenshotRegion(label: string, locators: readonly Locator[], padding = 8): Promise<string> {
    const boxes = (await Promise.all(locators.map((locator) => locator.boundingBox()))).filter((box) => box !== null);
    if (boxes.length === 0) throw new Error(`screenshotRegion(${label}): nothing visible to capture`);
    const viewport = this.page.viewportSize() ?? { width: 1400, height: 900 };
    const left = Math.max(0, Math.min(...boxes.map((box) => box.x)) - padding);
    const top = Math.max(0, Math.min(...boxes.map((box) => box.y)) - padding);
    const right = Math.min(viewport.width, Math.max(...boxes.map((box) => box.x + box.width)) + padding);
    const bottom = Math.min(viewport.height, Math.max(...boxes.map((box) => box.y + box.height)) + padding);
    const file = path.join(testResultsDir(), `${this.name}-${safeName(label)}.png`);
    await this.page.screenshot({ path: file, clip: { x: left, y: top, width: right - left, height: bottom - top } });
    return file;
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
