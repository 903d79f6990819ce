// Finds every `vscode.l10n.t('…')` message in src/ with the TypeScript parser and writes l10n/bundle.l10n.json,
// the English bundle that translations (bundle.l10n.<locale>.json) follow. `npm run l10n` runs it; a unit test checks it.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

export interface L10nMessages {
  /** Message → files (relative to the root) that use it. */
  readonly messages: ReadonlyMap<string, readonly string[]>;
  /** `l10n.t(…)` calls whose message is not a literal, so no bundle can hold it: `file:line`. */
  readonly dynamic: readonly string[];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(file);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [file] : [];
  });
}

/** `l10n.t` as a property access: `vscode.l10n.t` or an imported `l10n.t`. */
function isL10nT(expression: ts.Expression): boolean {
  if (!ts.isPropertyAccessExpression(expression) || expression.name.text !== 't') return false;
  const owner = expression.expression;
  return (ts.isPropertyAccessExpression(owner) && owner.name.text === 'l10n') || (ts.isIdentifier(owner) && owner.text === 'l10n');
}

export function collectL10nMessages(root: string): L10nMessages {
  const messages = new Map<string, string[]>();
  const dynamic: string[] = [];
  for (const file of sourceFiles(path.join(root, 'src')).sort()) {
    const relative = path.relative(root, file).split(path.sep).join('/');
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && isL10nT(node.expression)) {
        const [first] = node.arguments;
        let message: string | undefined;
        if (first && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first))) message = first.text;
        else if (first && ts.isObjectLiteralExpression(first)) {
          const property = first.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText(source) === 'message');
          if (property && (ts.isStringLiteral(property.initializer) || ts.isNoSubstitutionTemplateLiteral(property.initializer))) message = property.initializer.text;
        }
        if (message === undefined) dynamic.push(`${relative}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`);
        else messages.set(message, [...new Set([...(messages.get(message) ?? []), relative])]);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { messages, dynamic };
}

/** The English bundle: each message is its own key and value, in a stable order. */
export function englishBundle(messages: ReadonlyMap<string, unknown>): Record<string, string> {
  return Object.fromEntries([...messages.keys()].sort().map((message) => [message, message]));
}

if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  const { messages, dynamic } = collectL10nMessages(root);
  if (dynamic.length) {
    console.error(`[l10n] l10n.t with a message that is not a literal (cannot be translated): ${dynamic.join(', ')}`);
    process.exit(1);
  }
  writeFileSync(path.join(root, 'l10n', 'bundle.l10n.json'), `${JSON.stringify(englishBundle(messages), null, 2)}\n`);
  console.log(`[l10n] l10n/bundle.l10n.json: ${messages.size} messages`);
}
