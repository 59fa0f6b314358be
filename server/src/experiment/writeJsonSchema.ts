/** Writes server/schemas/medstudio-experiment.schema.json from the schema (run by `npm run schema`). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { toJsonSchema } from './schema';

export const JSON_SCHEMA_PATH = path.resolve(__dirname, '..', '..', 'schemas', 'medstudio-experiment.schema.json');

export function jsonSchemaText(): string {
  return JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', title: 'MedStudio experiment', ...toJsonSchema() }, null, 2) + '\n';
}

if (require.main === module) {
  fs.writeFileSync(JSON_SCHEMA_PATH, jsonSchemaText());
  console.log(`wrote ${JSON_SCHEMA_PATH}`);
}
