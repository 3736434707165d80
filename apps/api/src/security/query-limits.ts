import {
  GraphQLError,
  Kind,
  getNamedType,
  isCompositeType,
  isObjectType,
  isInterfaceType,
  valueFromAST,
  type ASTVisitor,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValueNode,
  type VariableDefinitionNode,
} from 'graphql';
import { PAGE_SIZE_MAX } from '../common/pagination/pagination.args.js';
import { SecurityRefusal } from './security.exception.js';

const BAD_REQUEST = 400;

interface Shape {
  /** Deepest field nesting below (and including) this selection set. */
  readonly depth: number;
  /** Aliases in this selection set, fragments expanded. */
  readonly aliases: number;
}

/**
 * Depth and alias count of every operation of a parsed, not yet validated document: one walk, fragments
 * memoised (so nested fragment spreads cannot make it exponential), cycles counted as nothing (validation
 * refuses them). Run before graphql-js validation, whose overlapping-fields rule is quadratic in the
 * fields of a selection set: 1,000 aliases are refused here at the cost of one walk.
 */
export function checkDocumentShape(document: DocumentNode, maxDepth: number, maxAliases: number): void {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const fragmentShapes = new Map<string, Shape>();
  const visiting = new Set<string>();

  const shapeOf = (selectionSet: SelectionSetNode): Shape => {
    let depth = 0;
    let aliases = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.alias !== undefined) aliases += 1;
        const inner = selection.selectionSet === undefined ? { depth: 0, aliases: 0 } : shapeOf(selection.selectionSet);
        depth = Math.max(depth, inner.depth + 1);
        aliases += inner.aliases;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const inner = shapeOf(selection.selectionSet);
        depth = Math.max(depth, inner.depth);
        aliases += inner.aliases;
      } else {
        const inner = fragmentShape(selection.name.value);
        depth = Math.max(depth, inner.depth);
        aliases += inner.aliases;
      }
    }
    return { depth, aliases };
  };

  const fragmentShape = (name: string): Shape => {
    const known = fragmentShapes.get(name);
    if (known !== undefined) return known;
    const fragment = fragments.get(name);
    if (fragment === undefined || visiting.has(name)) return { depth: 0, aliases: 0 };
    visiting.add(name);
    const shape = shapeOf(fragment.selectionSet);
    visiting.delete(name);
    fragmentShapes.set(name, shape);
    return shape;
  };

  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const { depth, aliases } = shapeOf(definition.selectionSet);
    if (depth > maxDepth) {
      throw new SecurityRefusal(
        'QUERY_TOO_DEEP',
        `query depth ${depth} exceeds the limit of ${maxDepth}`,
        BAD_REQUEST,
        { depth, maxDepth },
      );
    }
    if (aliases > maxAliases) {
      throw new SecurityRefusal(
        'TOO_MANY_ALIASES',
        `${aliases} aliases exceed the limit of ${maxAliases}`,
        BAD_REQUEST,
        { aliases, maxAliases },
      );
    }
  }
}

/**
 * Validation rule: refuses an operation whose cost exceeds `maxCost` before anything executes. Each field
 * costs 1 times its multiplier; a field with a `first` argument (every paginated list) multiplies what it
 * selects by that page size. A `first` given as a variable counts as its default, or as the largest page
 * (PAGE_SIZE_MAX) without one: Mercurius caches a query's validation, not its variables. Lists without
 * `first` (edges, balances, margin groups) do not multiply again: their size is bounded by the page around
 * them or by the handful of assets and groups an account has.
 */
export function queryCostRule(maxCost: number): (context: ValidationContext) => ASTVisitor {
  return (context) => ({
    OperationDefinition(operation) {
      const schema = context.getSchema();
      const root = rootType(schema, operation);
      if (root === undefined) return;
      const variables = new Map(
        operation.variableDefinitions?.map((definition) => [definition.variable.name.value, definition]),
      );
      const cost = selectionCost(context, root, operation.selectionSet, 1, variables, new Set());
      if (cost > maxCost) {
        const refusal = new SecurityRefusal(
          'QUERY_TOO_COSTLY',
          `query cost ${cost} exceeds the limit of ${maxCost}; ask for smaller pages`,
          BAD_REQUEST,
          { cost, maxCost },
        );
        context.reportError(new GraphQLError(refusal.message, { nodes: [operation], originalError: refusal }));
      }
    },
  });
}

function rootType(schema: GraphQLSchema, operation: OperationDefinitionNode): GraphQLCompositeType | undefined {
  const type = schema.getRootType(operation.operation);
  return type ?? undefined;
}

function selectionCost(
  context: ValidationContext,
  parent: GraphQLCompositeType,
  selectionSet: SelectionSetNode,
  multiplier: number,
  variables: ReadonlyMap<string, VariableDefinitionNode>,
  visitingFragments: Set<string>,
): number {
  let cost = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      if (name === '__typename') continue;
      cost += multiplier;
      const field = fieldOf(parent, name);
      if (field === undefined || selection.selectionSet === undefined) continue;
      const child = getNamedType(field.type);
      if (!isCompositeType(child)) continue;
      const pageSize = firstArgument(field, selection.arguments ?? [], variables);
      cost += selectionCost(
        context,
        child,
        selection.selectionSet,
        multiplier * pageSize,
        variables,
        visitingFragments,
      );
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const condition =
        selection.typeCondition === undefined
          ? parent
          : context.getSchema().getType(selection.typeCondition.name.value);
      const type = condition !== undefined && isCompositeType(condition) ? condition : parent;
      cost += selectionCost(context, type, selection.selectionSet, multiplier, variables, visitingFragments);
    } else {
      const name = selection.name.value;
      const fragment = context.getFragment(name);
      if (fragment === undefined || fragment === null || visitingFragments.has(name)) continue;
      const condition = context.getSchema().getType(fragment.typeCondition.name.value);
      const type = condition !== undefined && isCompositeType(condition) ? condition : parent;
      visitingFragments.add(name);
      cost += selectionCost(context, type, fragment.selectionSet, multiplier, variables, visitingFragments);
      visitingFragments.delete(name);
    }
  }
  return cost;
}

function fieldOf(parent: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
  return isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
}

/** The page size a field returns: its `first` argument, or 1 for a field that is not paginated. */
function firstArgument(
  field: GraphQLField<unknown, unknown>,
  argumentNodes: readonly { readonly name: { readonly value: string }; readonly value: ValueNode }[],
  variables: ReadonlyMap<string, VariableDefinitionNode>,
): number {
  const definition = field.args.find((argument) => argument.name === 'first');
  if (definition === undefined) return 1;
  const node = argumentNodes.find((argument) => argument.name.value === 'first')?.value;
  let value: unknown;
  if (node === undefined) {
    value = definition.defaultValue;
  } else if (node.kind === Kind.VARIABLE) {
    const defaultValue = variables.get(node.name.value)?.defaultValue;
    value = defaultValue === undefined ? PAGE_SIZE_MAX : valueFromAST(defaultValue, definition.type);
  } else {
    value = valueFromAST(node, definition.type);
  }
  // Pages out of range are refused by argument validation later; here they only need a sane multiplier.
  return typeof value === 'number' && Number.isFinite(value) ? Math.max(1, value) : PAGE_SIZE_MAX;
}

/** Validation rule for production: refuses `__schema` and `__type` (the schema is not published there). */
export function noIntrospectionRule(context: ValidationContext): ASTVisitor {
  return {
    Field(node) {
      const name = node.name.value;
      if (name !== '__schema' && name !== '__type') return;
      const refusal = new SecurityRefusal('INTROSPECTION_DISABLED', 'introspection is disabled', BAD_REQUEST);
      context.reportError(new GraphQLError(refusal.message, { nodes: [node], originalError: refusal }));
    },
  };
}
