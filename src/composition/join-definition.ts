import {
  getNamedType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type GraphQLType,
} from 'graphql';
import type { JoinDefinition, JoinKind } from '../core/types.js';

/** What a client sends to define a join; omitted fields get defaults from the schema (see `completeJoin`). */
export interface JoinInput {
  name: string;
  kind?: JoinKind;
  sourceType: string;
  fieldName?: string;
  sourceKeyFields?: string[];
  targetOperation: string;
  targetArgument?: string;
  batchOperation?: string | null;
  batchArgument?: string | null;
  targetKeyField?: string;
  many?: boolean;
  reverseFieldName?: string | null;
  reverseOperation?: string | null;
  reverseArgument?: string | null;
  description?: string | null;
}

export type JoinSpec = Omit<JoinDefinition, 'id' | 'createdAt' | 'updatedAt'>;

/** One reason a definition does not fit the schema. */
export interface JoinProblem {
  field: string;
  message: string;
}

/** A definition checked against a schema: the types and root fields it uses. */
export interface AnalyzedJoin {
  def: JoinSpec;
  sourceType: GraphQLObjectType;
  targetType: GraphQLObjectType;
  keyField: string;
  targetField: GraphQLField<unknown, unknown>;
  batchField: GraphQLField<unknown, unknown> | null;
  reverseField: GraphQLField<unknown, unknown> | null;
  /** Whether the reverse field holds a list (always for record joins). */
  reverseMany: boolean;
}

const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

const unwrapNonNull = (t: GraphQLType): GraphQLType => (isNonNullType(t) ? t.ofType : t);
const isList = (t: GraphQLType): boolean => isListType(unwrapNonNull(t));

/** The argument that receives the key when the client named none: the only one, or the only required one. */
function defaultArgument(
  field: GraphQLField<unknown, unknown> | undefined,
  wantList: boolean,
): string | undefined {
  if (!field) return undefined;
  const fitting = field.args.filter((a) => isList(a.type) === wantList);
  if (fitting.length === 1) return fitting[0]!.name;
  const required = fitting.filter((a) => isNonNullType(a.type));
  return required.length === 1 ? required[0]!.name : undefined;
}

function queryField(schema: GraphQLSchema, name: string | null | undefined) {
  return name ? schema.getQueryType()?.getFields()[name] : undefined;
}

/** Fills every omitted field with its default (arguments guessed from the schema when unambiguous). */
export function completeJoin(input: JoinInput, schema: GraphQLSchema | null): JoinSpec {
  const kind = input.kind ?? 'field';
  const target = schema ? queryField(schema, input.targetOperation) : undefined;
  const batch = schema ? queryField(schema, input.batchOperation) : undefined;
  const reverse = schema ? queryField(schema, input.reverseOperation) : undefined;
  return {
    name: input.name,
    kind,
    sourceType: input.sourceType,
    fieldName: input.fieldName ?? input.name,
    sourceKeyFields: input.sourceKeyFields ?? (kind === 'record' ? ['id'] : []),
    targetOperation: input.targetOperation,
    targetArgument: input.targetArgument ?? defaultArgument(target, false) ?? '',
    batchOperation: input.batchOperation ?? null,
    batchArgument: input.batchOperation
      ? (input.batchArgument ?? defaultArgument(batch, true) ?? '')
      : (input.batchArgument ?? null),
    targetKeyField: input.targetKeyField ?? 'id',
    many: input.many ?? kind === 'record',
    reverseFieldName: input.reverseFieldName ?? null,
    reverseOperation: input.reverseOperation ?? null,
    reverseArgument: input.reverseOperation
      ? (input.reverseArgument ?? defaultArgument(reverse, false) ?? '')
      : (input.reverseArgument ?? null),
    description: input.description ?? null,
  };
}

const NUMERIC = new Set(['Int', 'Float']);
const TEXT = new Set(['String', 'ID']);
const BUILT_IN = new Set(['Int', 'Float', 'String', 'ID', 'Boolean']);

/**
 * Whether a key of scalar `key` can be passed to an argument of scalar `arg`. Numbers can become
 * text; text cannot become a number. Custom scalars (e.g. `NonNegativeInt`) are accepted: their
 * values are checked by the module at call time.
 */
export function scalarsFit(key: string, arg: string): boolean {
  if (key === arg) return true;
  if (!BUILT_IN.has(key) || !BUILT_IN.has(arg)) return true;
  if (TEXT.has(arg)) return NUMERIC.has(key) || TEXT.has(key);
  if (NUMERIC.has(arg)) return NUMERIC.has(key) || key === 'ID';
  return false;
}

/**
 * Checks a complete definition against the schema it will extend (the composed schema without
 * join fields) and against the other joins. Returns every problem found, or the analysed join.
 */
export function analyzeJoin(
  def: JoinSpec,
  schema: GraphQLSchema,
  others: ReadonlyArray<{ def: JoinSpec; targetType: string }> = [],
): { problems: JoinProblem[]; join: AnalyzedJoin | null } {
  const problems: JoinProblem[] = [];
  const problem = (field: string, message: string) => problems.push({ field, message });
  const isRecord = def.kind === 'record';

  if (def.kind !== 'field' && def.kind !== 'record') problem('kind', `must be 'field' or 'record'`);
  if (!NAME.test(def.fieldName))
    problem('fieldName', `'${def.fieldName}' is not a valid GraphQL field name`);

  // Source type and key.
  const st = schema.getType(def.sourceType);
  const sourceType =
    st && isObjectType(st) && st !== schema.getQueryType() && st !== schema.getMutationType()
      ? st
      : null;
  if (!sourceType) {
    problem(
      'sourceType',
      st
        ? `'${def.sourceType}' is not an object type of a module`
        : `type '${def.sourceType}' does not exist in the schema`,
    );
  } else if (sourceType.getFields()[def.fieldName]) {
    problem('fieldName', `'${def.sourceType}' already has a field '${def.fieldName}'`);
  }
  let keyType: string | null = null;
  const keyField = def.sourceKeyFields[0] ?? '';
  if (def.sourceKeyFields.length !== 1) {
    problem(
      'sourceKeyFields',
      `give exactly one key field (got ${def.sourceKeyFields.length}); composite keys are not supported`,
    );
  } else if (sourceType) {
    const f = sourceType.getFields()[keyField];
    if (!f) problem('sourceKeyFields', `'${def.sourceType}' has no field '${keyField}'`);
    else if (isList(f.type) || !isLeafType(getNamedType(f.type))) {
      problem(
        'sourceKeyFields',
        `'${def.sourceType}.${keyField}' must be a scalar (it is ${String(f.type)})`,
      );
    } else keyType = getNamedType(f.type).name;
  }

  // Target operation.
  let targetType: GraphQLObjectType | null = null;
  const targetField = queryField(schema, def.targetOperation);
  const singleTarget = isRecord || !def.many;
  if (!targetField) {
    problem(
      'targetOperation',
      schema.getMutationType()?.getFields()[def.targetOperation]
        ? `'${def.targetOperation}' is a mutation: a join may only call query operations`
        : `query field '${def.targetOperation}' does not exist`,
    );
  } else {
    const named = getNamedType(targetField.type);
    if (!isObjectType(named))
      problem(
        'targetOperation',
        `'${def.targetOperation}' returns ${String(targetField.type)}, not an object type`,
      );
    else targetType = named;
    if (singleTarget && isList(targetField.type)) {
      problem(
        'targetOperation',
        `'${def.targetOperation}' returns a list; ${isRecord ? 'a record join' : 'a join with many: false'} needs an operation returning one object by key`,
      );
    }
    if (!singleTarget && !isList(targetField.type)) {
      problem(
        'targetOperation',
        `'${def.targetOperation}' returns one object; a join with many: true needs an operation returning a list for a key`,
      );
    }
    checkArgument(
      problems,
      'targetArgument',
      targetField,
      def.targetArgument,
      false,
      isRecord ? null : keyType,
    );
  }

  // Batch operation.
  let batchField: GraphQLField<unknown, unknown> | null = null;
  if (def.batchOperation) {
    const f = queryField(schema, def.batchOperation);
    if (!f) problem('batchOperation', `query field '${def.batchOperation}' does not exist`);
    else {
      batchField = f;
      if (!isList(f.type))
        problem(
          'batchOperation',
          `'${def.batchOperation}' must return a list (it returns ${String(f.type)})`,
        );
      if (targetType && getNamedType(f.type) !== targetType) {
        problem(
          'batchOperation',
          `'${def.batchOperation}' returns ${getNamedType(f.type).name}, not ${targetType.name} like '${def.targetOperation}'`,
        );
      }
      checkArgument(
        problems,
        'batchArgument',
        f,
        def.batchArgument ?? '',
        true,
        isRecord ? null : keyType,
      );
    }
  } else if (def.batchArgument) {
    problem('batchArgument', 'batchArgument needs a batchOperation');
  }

  // Target key (match) field: needed to match batch results and for the reverse direction.
  let targetKeyType: string | null = null;
  if (targetType && (batchField || def.reverseFieldName)) {
    const f = targetType.getFields()[def.targetKeyField];
    if (!f) problem('targetKeyField', `'${targetType.name}' has no field '${def.targetKeyField}'`);
    else if (isList(f.type) || !isLeafType(getNamedType(f.type)))
      problem('targetKeyField', `'${targetType.name}.${def.targetKeyField}' must be a scalar`);
    else {
      targetKeyType = getNamedType(f.type).name;
      if (
        !isRecord &&
        keyType &&
        batchField &&
        !scalarsFit(keyType, targetKeyType) &&
        !scalarsFit(targetKeyType, keyType)
      ) {
        problem(
          'targetKeyField',
          `'${targetType.name}.${def.targetKeyField}' (${targetKeyType}) cannot match the key '${def.sourceType}.${keyField}' (${keyType})`,
        );
      }
    }
  }

  // Reverse direction.
  let reverseField: GraphQLField<unknown, unknown> | null = null;
  let reverseMany = true;
  if (def.reverseFieldName) {
    if (!NAME.test(def.reverseFieldName))
      problem('reverseFieldName', `'${def.reverseFieldName}' is not a valid GraphQL field name`);
    if (targetType?.getFields()[def.reverseFieldName])
      problem(
        'reverseFieldName',
        `'${targetType.name}' already has a field '${def.reverseFieldName}'`,
      );
    if (targetType && sourceType === targetType && def.reverseFieldName === def.fieldName) {
      problem('reverseFieldName', 'must differ from fieldName (both go on the same type)');
    }
    if (!def.reverseOperation) {
      problem(
        'reverseOperation',
        isRecord
          ? 'a reverse field of a record join needs the operation fetching one source object by id'
          : 'a reverse field needs an operation listing source objects by key',
      );
    } else {
      const f = queryField(schema, def.reverseOperation);
      if (!f) problem('reverseOperation', `query field '${def.reverseOperation}' does not exist`);
      else {
        reverseField = f;
        const named = getNamedType(f.type);
        if (sourceType && named !== sourceType) {
          problem(
            'reverseOperation',
            `'${def.reverseOperation}' returns ${named.name}; the reverse field on ${targetType?.name ?? 'the target type'} must return the source type ${sourceType.name}`,
          );
        }
        if (isRecord) {
          if (isList(f.type))
            problem(
              'reverseOperation',
              `'${def.reverseOperation}' returns a list; a record join fetches each source object by id`,
            );
        } else reverseMany = isList(f.type);
        checkArgument(
          problems,
          'reverseArgument',
          f,
          def.reverseArgument ?? '',
          false,
          isRecord ? null : targetKeyType,
        );
      }
    }
  } else if (def.reverseOperation || def.reverseArgument) {
    problem('reverseFieldName', 'reverseOperation and reverseArgument need a reverseFieldName');
  }

  // Clashes with the other joins.
  for (const o of others) {
    if (o.def.name === def.name) continue;
    const taken = new Set([`${o.def.sourceType}.${o.def.fieldName}`]);
    if (o.def.reverseFieldName) taken.add(`${o.targetType}.${o.def.reverseFieldName}`);
    if (taken.has(`${def.sourceType}.${def.fieldName}`))
      problem(
        'fieldName',
        `join '${o.def.name}' already adds '${def.sourceType}.${def.fieldName}'`,
      );
    if (
      def.reverseFieldName &&
      targetType &&
      taken.has(`${targetType.name}.${def.reverseFieldName}`)
    ) {
      problem(
        'reverseFieldName',
        `join '${o.def.name}' already adds '${targetType.name}.${def.reverseFieldName}'`,
      );
    }
  }

  if (problems.length > 0 || !sourceType || !targetType || !targetField)
    return { problems, join: null };
  return {
    problems,
    join: {
      def,
      sourceType,
      targetType,
      keyField,
      targetField,
      batchField,
      reverseField,
      reverseMany,
    },
  };
}

/** The argument exists, fits the key (list or not, scalar type) and no other required argument is left without a value. */
function checkArgument(
  problems: JoinProblem[],
  what: string,
  field: GraphQLField<unknown, unknown>,
  argName: string,
  wantList: boolean,
  keyType: string | null,
): void {
  const problem = (message: string) => problems.push({ field: what, message });
  const arg: GraphQLArgument | undefined = field.args.find((a) => a.name === argName);
  if (!argName) {
    problem(
      `name the argument of '${field.name}' that receives the key (it has ${field.args.map((a) => a.name).join(', ') || 'none'})`,
    );
  } else if (!arg) {
    problem(
      `'${field.name}' has no argument '${argName}' (it has ${field.args.map((a) => a.name).join(', ') || 'none'})`,
    );
  } else {
    if (isList(arg.type) !== wantList) {
      problem(
        wantList
          ? `'${field.name}(${argName})' must be a list argument to take many keys (it is ${String(arg.type)})`
          : `'${field.name}(${argName})' is a list (${String(arg.type)}); it must take one key`,
      );
    }
    const named = getNamedType(arg.type);
    if (!isLeafType(named))
      problem(`'${field.name}(${argName})' is ${String(arg.type)}, not a scalar`);
    else if (keyType && !scalarsFit(keyType, named.name)) {
      problem(`the key is ${keyType} but '${field.name}(${argName})' takes ${named.name}`);
    }
  }
  for (const a of field.args) {
    if (a.name !== argName && isNonNullType(a.type) && a.defaultValue === undefined) {
      problem(`'${field.name}' requires argument '${a.name}', which a join cannot give`);
    }
  }
}
