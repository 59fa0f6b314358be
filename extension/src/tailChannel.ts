/**
 * The output channel handed to the language client: writes through to the MedStudio channel and
 * keeps the lines written since `mark()` (the server's stderr among them), so that a server that
 * dies can be reported with its own last words ("Error: Cannot find module ...").
 */
import type * as vscode from 'vscode';

const KEEP = 200;

export class TailChannel implements vscode.OutputChannel {
  private lines: string[] = [];
  private partial = '';

  constructor(private readonly inner: vscode.OutputChannel) {}

  get name(): string {
    return this.inner.name;
  }

  /** Starts a new record: what a start or crash wrote comes after this. */
  mark(): void {
    this.lines = [];
    this.partial = '';
  }

  linesSinceMark(): string[] {
    return this.partial ? [...this.lines, this.partial] : [...this.lines];
  }

  append(value: string): void {
    this.inner.append(value);
    this.record(value);
  }

  appendLine(value: string): void {
    this.inner.appendLine(value);
    this.record(`${value}\n`);
  }

  replace(value: string): void {
    this.inner.replace(value);
  }

  clear(): void {
    this.inner.clear();
  }

  show(columnOrPreserveFocus?: vscode.ViewColumn | boolean, preserveFocus?: boolean): void {
    if (typeof columnOrPreserveFocus === 'boolean' || columnOrPreserveFocus === undefined) this.inner.show(columnOrPreserveFocus);
    else this.inner.show(columnOrPreserveFocus, preserveFocus);
  }

  hide(): void {
    this.inner.hide();
  }

  /** The MedStudio channel outlives the client: the extension disposes it. */
  dispose(): void {}

  private record(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts);
    if (this.lines.length > KEEP) this.lines.splice(0, this.lines.length - KEEP);
  }
}
