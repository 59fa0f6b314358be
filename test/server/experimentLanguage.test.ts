import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CodeActionRequest,
  CodeLensRequest,
  CompletionRequest,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  HoverRequest,
  PublishDiagnosticsNotification,
  type CodeAction,
  type CompletionItem,
  type Diagnostic,
  type MarkupContent,
} from 'vscode-languageserver-protocol/node';
import { startServer, type TestServer } from './lspClient';

let ws: string;
let server: TestServer;
const diags = new Map<string, Diagnostic[][]>();

const experiment = `method: care
data:
  format: csv
  path: data/labels.csv
  classes: [nevus, melanoma]
  rare: [melanoma]
  boxes: { source: manual, path: data/missing.coco.json }
model: { backbone: resnet, width: 16, inputSize: 32 }
train: { epochs: 2, batchSize: 8, lr: 0.001 }
`;

before(async () => {
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-lang-'));
  fs.mkdirSync(path.join(ws, 'data'));
  fs.writeFileSync(path.join(ws, 'data', 'labels.csv'), 'path,label,split\na.png,nevus,train\nb.png,melanoma,train\nc.png,carcinoma,test\n');
  server = await startServer({ workspace: ws });
  server.conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
    const list = diags.get(p.uri) ?? [];
    list.push(p.diagnostics);
    diags.set(p.uri, list);
  });
});
after(async () => {
  await server.stop();
  fs.rmSync(ws, { recursive: true, force: true });
});

async function open(name: string, text: string): Promise<string> {
  const uri = pathToFileURL(path.join(ws, name)).href;
  await server.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'yaml', version: 1, text } });
  return uri;
}

async function nextDiagnostics(uri: string, count: number): Promise<Diagnostic[]> {
  for (let i = 0; i < 200; i++) {
    const list = diags.get(uri) ?? [];
    if (list.length >= count) return list[count - 1]!;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('no diagnostics published');
}

test('a missing box file and a bad value are flagged at their exact range', async () => {
  const uri = await open('care.medstudio.yaml', experiment.replace('lr: 0.001', 'lr: -1'));
  const d = await nextDiagnostics(uri, 1);
  const missing = d.find((x) => x.message.includes("'data/missing.coco.json' does not exist"));
  assert.ok(missing, JSON.stringify(d));
  assert.equal(missing.range.start.line, 6);
  assert.equal(missing.range.start.character, experiment.split('\n')[6]!.indexOf('data/missing'));
  const lr = d.find((x) => x.message.includes("'train.lr' must be at least 0"));
  assert.ok(lr, JSON.stringify(d));
  assert.equal(lr.range.start.line, 8);
});

test('a class the data does not have is flagged; fixing the file clears it', async () => {
  const text = experiment.replace('classes: [nevus, melanoma]', 'classes: [nevus, melanoma, psoriasis]').replace(', path: data/missing.coco.json', '');
  const uri = await open('classes.medstudio.yaml', text.replace('source: manual', 'source: saliency'));
  const d = await nextDiagnostics(uri, 1);
  const cls = d.find((x) => x.message.includes("class 'psoriasis' is not found in the data"));
  assert.ok(cls, JSON.stringify(d));
  assert.equal(cls.range.start.line, 4);
  const fixed = experiment.replace(', path: data/missing.coco.json', '').replace('source: manual', 'source: saliency');
  await server.conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version: 2 }, contentChanges: [{ text: fixed }] });
  assert.deepEqual(await nextDiagnostics(uri, 2), []);
});

test('completion offers methods, the remaining keys, and class names from the data', async () => {
  const uri = await open('complete.medstudio.yaml', 'method: \ndata:\n  format: csv\n  path: data/labels.csv\n  rare: [\ntrain:\n  ');
  const methods = (await server.conn.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line: 0, character: 8 } })) as CompletionItem[];
  assert.deepEqual(methods.map((m) => m.label).sort(), ['care', 'detect', 'disco', 'glmae', 'moco', 'segment', 'segment2d', 'supervised']);
  const classes = (await server.conn.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line: 4, character: 9 } })) as CompletionItem[];
  assert.deepEqual(classes.map((c) => c.label).sort(), ['carcinoma', 'melanoma', 'nevus']);
  const trainKeys = (await server.conn.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line: 6, character: 2 } })) as CompletionItem[];
  assert.ok(trainKeys.some((k) => k.label === 'epochs'));
  assert.ok(!trainKeys.some((k) => k.label === 'format'), 'keys of another section are not offered');
});

test('hover documents every key, including keys in inline mappings', async () => {
  const uri = await open('hover.medstudio.yaml', experiment);
  const h1 = await server.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 8, character: 35 } });
  assert.match((h1!.contents as MarkupContent).value, /\*\*train\.lr\*\*/);
  const h2 = await server.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 5, character: 3 } });
  assert.match((h2!.contents as MarkupContent).value, /rare classes/);
});

test('CodeLens offers Train on a new experiment', async () => {
  const uri = await open('lens.medstudio.yaml', experiment);
  const lenses = await server.conn.sendRequest(CodeLensRequest.type, { textDocument: { uri } });
  assert.ok(lenses?.some((l) => l.command?.command === 'medstudio.train'));
});

test('completion inside { … } flow mappings offers the mapping\'s remaining keys and values, nested ones too', async () => {
  const text = 'method: care\nmodel: { backbone: resnet,  }\ndata: { format: csv, boxes: { source:  } }\ntrain: { epochs: 2,  }\n';
  const uri = await open('flow.medstudio.yaml', text);
  const at = async (line: number, character: number) => ((await server.conn.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line, character } })) as CompletionItem[]).map((c) => c.label);
  const model = await at(1, 'model: { backbone: resnet, '.length);
  assert.ok(model.includes('width') && model.includes('inputSize'), `model keys: ${model.join(', ')}`);
  assert.ok(!model.includes('backbone'), 'a key already in the mapping is not offered again');
  const source = await at(2, 'data: { format: csv, boxes: { source: '.length);
  assert.ok(source.includes('manual') && source.includes('saliency'), `data.boxes.source values: ${source.join(', ')}`);
  const train = await at(3, 'train: { epochs: 2, '.length);
  assert.ok(train.includes('batchSize') && !train.includes('epochs'), `train keys: ${train.join(', ')}`);
  // An object-valued key inside a flow mapping opens a nested flow mapping, not a new line.
  const other = await open('flow2.medstudio.yaml', 'method: care\ndata: { format: csv,  }\n');
  const dataKeys = (await server.conn.sendRequest(CompletionRequest.type, { textDocument: { uri: other }, position: { line: 1, character: 'data: { format: csv, '.length } })) as CompletionItem[];
  assert.equal(dataKeys.find((c) => c.label === 'boxes')?.insertText, 'boxes: { ');
});

test('a misspelt key has a quick fix that puts the key it is closest to in its place', async () => {
  const text = experiment.replace('batchSize: 8', 'batchSzie: 8');
  const uri = await open('typo.medstudio.yaml', text);
  const d = await nextDiagnostics(uri, 1);
  const typo = d.find((x) => x.message.includes("unknown key 'batchSzie'"));
  assert.ok(typo, JSON.stringify(d));
  const actions = (await server.conn.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range: typo.range, context: { diagnostics: [typo] } })) as CodeAction[];
  assert.equal(actions.length, 1, JSON.stringify(actions));
  const a = actions[0]!;
  assert.equal(a.title, "Change to 'batchSize'");
  assert.equal(a.kind, 'quickfix');
  const edits = a.edit?.changes?.[uri];
  assert.deepEqual(edits, [{ range: typo.range, newText: 'batchSize' }]);
  const line = text.split('\n')[typo.range.start.line]!;
  assert.equal(line.slice(typo.range.start.character, typo.range.end.character), 'batchSzie', 'the edit replaces exactly the misspelt key');
});
