import {
  getNamedType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLSchema,
  type GraphQLType,
} from 'graphql';
import type { JoinDefinition } from '../core/types.js';
import { analyzeJoin, completeJoin, type JoinInput } from './join-definition.js';

/** A field join inferred from the schema, with why, and a definition ready for `POST /admin/joins`. */
export interface JoinSuggestion {
  sourceType: string;
  keyField: string;
  targetType: string;
  evidence: string[];
  definition: JoinInput;
}

const isList = (t: GraphQLType) => isListType(isNonNullType(t) ? t.ofType : t);
const lower = (s: string) => s.toLowerCase();
/** `Orders_Order` -> `Orders`; `customers_getCustomer` -> `customers`. */
const namespaceOf = (name: string) => name.slice(0, Math.max(0, name.indexOf('_')));
const shortName = (name: string) => name.slice(name.indexOf('_') + 1);
const lcFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/**
 * Proposes field joins: a `<thing>Id` / `<thing>_id` field of one module's type, and, in another
 * module, a `get<Thing>(id)` root field (plus a `list<Things>(ids: [...])` batch field when there
 * is one) returning a type named like the thing. Joins that already exist are left out.
 */
export function suggestJoins(
  schema: GraphQLSchema,
  existing: readonly JoinDefinition[],
): JoinSuggestion[] {
  const query = schema.getQueryType();
  if (!query) return [];
  const rootFields = Object.values(query.getFields());
  const out: JoinSuggestion[] = [];
  const taken = new Set(existing.map((j) => `${j.sourceType}.${j.sourceKeyFields[0] ?? ''}`));
  const takenFields = new Set(existing.map((j) => `${j.sourceType}.${j.fieldName}`));
  const names = new Set(existing.map((j) => j.name));

  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type === query || type === schema.getMutationType()) continue;
    if (type.name.startsWith('__') || type.name.startsWith('Bifrost_') || !type.name.includes('_'))
      continue;
    const ns = lower(namespaceOf(type.name));
    for (const field of Object.values(type.getFields())) {
      const m = /^(.+?)(?:Id|_id|ID)$/.exec(field.name);
      if (!m || isList(field.type) || !isLeafType(getNamedType(field.type))) continue;
      const thing = m[1]!;
      if (taken.has(`${type.name}.${field.name}`)) continue;
      const fieldName = lcFirst(thing.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));
      if (type.getFields()[fieldName] || takenFields.has(`${type.name}.${fieldName}`)) continue;

      const single = rootFields.find(
        (f) =>
          lower(namespaceOf(f.name)) !== ns &&
          lower(shortName(f.name)) === lower(`get${fieldName}`) &&
          !isList(f.type) &&
          isObjectType(getNamedType(f.type)),
      );
      if (!single) continue;
      const target = getNamedType(single.type);
      if (!isObjectType(target)) continue;
      const evidence = [
        `${type.name}.${field.name} (${String(field.type)}) names a ${thing}`,
        `${single.name}(${single.args.map((a) => a.name).join(', ')}) returns one ${target.name}`,
      ];
      const batch = rootFields.find(
        (f) =>
          f !== single &&
          getNamedType(f.type) === target &&
          isList(f.type) &&
          f.args.some((a) => isList(a.type) && /ids$/i.test(a.name)),
      );
      const input: JoinInput = {
        name: uniqueName(`${lcFirst(shortName(type.name))}-${fieldName}`, names),
        kind: 'field',
        sourceType: type.name,
        fieldName,
        sourceKeyFields: [field.name],
        targetOperation: single.name,
      };
      if (batch) {
        const arg = batch.args.find((a) => isList(a.type) && /ids$/i.test(a.name))!;
        input.batchOperation = batch.name;
        input.batchArgument = arg.name;
        evidence.push(
          `${batch.name}(${arg.name}: ${String(arg.type)}) fetches many ${target.name} in one call`,
        );
      }
      const reverse = reverseCandidate(rootFields, type.name, field);
      const reverseName = `${lcFirst(shortName(type.name))}s`;
      if (reverse && !target.getFields()[reverseName]) {
        const withReverse = {
          ...input,
          reverseFieldName: reverseName,
          reverseOperation: reverse.name,
          reverseArgument: field.name,
        };
        if (analyzeJoin(completeJoin(withReverse, schema), schema).problems.length === 0) {
          Object.assign(input, {
            reverseFieldName: reverseName,
            reverseOperation: reverse.name,
            reverseArgument: field.name,
          });
          evidence.push(
            `${reverse.name}(${field.name}) lists the ${type.name} of one ${target.name}`,
          );
        }
      }
      if (analyzeJoin(completeJoin(input, schema), schema).problems.length > 0) continue;
      names.add(input.name);
      out.push({
        sourceType: type.name,
        keyField: field.name,
        targetType: target.name,
        evidence,
        definition: input,
      });
    }
  }
  return out;
}

function reverseCandidate(
  rootFields: GraphQLField<unknown, unknown>[],
  sourceType: string,
  key: GraphQLField<unknown, unknown>,
) {
  return rootFields.find(
    (f) =>
      getNamedType(f.type).name === sourceType &&
      isList(f.type) &&
      f.args.some((a) => a.name === key.name && !isList(a.type)),
  );
}

function uniqueName(base: string, names: Set<string>): string {
  const clean = base.replace(/[^\w-]/g, '_');
  if (!names.has(clean)) return clean;
  let i = 2;
  while (names.has(`${clean}-${i}`)) i++;
  return `${clean}-${i}`;
}
