// One UI-test session: a temp copy of the sample workspace, code-server with the extension under test, Chromium on its workbench.
// `close()` undoes all three; a UI test needs only openExtensionWorkbench() and the Workbench helpers.
import { Workbench } from './browser';
import { startCodeServer, type CodeServer, type CodeServerOptions } from './codeServer';
import { copyWorkspace, extensionPath, removeTempDir } from './paths';

export interface ExtensionWorkbench {
  readonly server: CodeServer;
  readonly workbench: Workbench;
  /** Temp copy of the workspace folder that is open in the window. */
  readonly workspace: string;
  close(): Promise<void>;
}

export interface ExtensionWorkbenchOptions {
  /** Extension folder to load; default extensionPath() (TI_EXTENSION_PATH, else this repo). */
  readonly extension?: string;
  /** Folder to copy and open; default test/integration/workspace. */
  readonly workspaceSource?: string;
  readonly settings?: Readonly<Record<string, unknown>>;
  readonly env?: Readonly<Record<string, string>>;
  /** Workspace trust on: the folder opens in Restricted Mode. */
  readonly workspaceTrust?: boolean;
  /** VSIX files installed before the server starts (e.g. a language pack). */
  readonly installExtensions?: readonly string[];
  /** Display language passed to code-server (`--locale`). */
  readonly locale?: string;
  /** Runs on code-server's fresh user-data and extensions dirs before it starts. */
  readonly prepare?: CodeServerOptions['prepare'];
}

/** Starts everything for a UI test named `name` (names the logs and screenshots in test-results/). */
export async function openExtensionWorkbench(name: string, options: ExtensionWorkbenchOptions = {}): Promise<ExtensionWorkbench> {
  const workspace = copyWorkspace(options.workspaceSource);
  let server: CodeServer | undefined;
  try {
    server = await startCodeServer({
      name,
      workspaceFolder: workspace,
      extensionDevelopmentPath: options.extension ?? extensionPath(),
      settings: options.settings,
      env: options.env,
      workspaceTrust: options.workspaceTrust,
      installExtensions: options.installExtensions,
      locale: options.locale,
      prepare: options.prepare,
    });
    const workbench = await Workbench.open(server.url, { name });
    const started = server;
    return {
      server: started,
      workbench,
      workspace,
      async close() {
        await workbench.screenshot('final').catch(() => undefined); // last look at the window, useful when a test failed
        await workbench.close();
        await started.stop();
        removeTempDir(workspace);
      },
    };
  } catch (error) {
    await server?.stop();
    removeTempDir(workspace);
    throw error;
  }
}
