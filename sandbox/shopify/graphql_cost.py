"""Shopify's calculated query cost, requested (before execution) and actual (from the result).

The published rules (shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits, "Cost
calculation"): a scalar or enum costs 0, an object 1, an interface or union the maximum of its
possible selections, a connection 2 plus its page size (``first`` or ``last``) times the cost of
one node, a mutation 10. A list of objects fetched by ids (``nodes(ids:)``) costs one object per
id. The requested cost is checked against the single-query maximum (1,000) before anything runs;
the actual cost counts the nodes the result holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
)
from graphql.execution.values import get_argument_values

MAX_QUERY_COST = 1000
MUTATION_COST = 10
CONNECTION_COST = 2
ITEM_FIELDS = ("edges", "nodes")


def is_connection(t: GraphQLNamedType) -> bool:
    """A Relay connection type (``...Connection`` with ``pageInfo``)."""
    return (
        isinstance(t, GraphQLObjectType)
        and t.name.endswith("Connection")
        and "pageInfo" in t.fields
    )


def _is_list(t: Any) -> bool:
    if isinstance(t, GraphQLNonNull):
        t = t.of_type
    return isinstance(t, GraphQLList)


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    # -- field collection (fragments merged per concrete type) ----------------------------

    def fields(
        self, parent: GraphQLNamedType, selection_set: SelectionSetNode | None
    ) -> list[FieldNode]:
        out: list[FieldNode] = []
        if selection_set is None:
            return out
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                out.append(sel)
            elif isinstance(sel, InlineFragmentNode):
                cond = sel.type_condition.name.value if sel.type_condition else None
                if cond is None or self._applies(cond, parent):
                    out += self.fields(parent, sel.selection_set)
            elif isinstance(sel, FragmentSpreadNode):
                frag = self.fragments.get(sel.name.value)
                if frag and self._applies(frag.type_condition.name.value, parent):
                    out += self.fields(parent, frag.selection_set)
        return out

    def _applies(self, condition: str, parent: GraphQLNamedType) -> bool:
        if condition == parent.name:
            return True
        cond = self.schema.get_type(condition)
        if isinstance(parent, GraphQLObjectType) and is_abstract_type(cond):
            return self.schema.is_sub_type(cond, parent)  # type: ignore[arg-type]
        return False

    def conditions(self, selection_set: SelectionSetNode | None) -> set[str]:
        """Type conditions of the fragments directly in a selection set."""
        names: set[str] = set()
        for sel in selection_set.selections if selection_set else ():
            if isinstance(sel, InlineFragmentNode) and sel.type_condition:
                names.add(sel.type_condition.name.value)
                names |= self.conditions(sel.selection_set)
            elif isinstance(sel, FragmentSpreadNode):
                frag = self.fragments.get(sel.name.value)
                if frag:
                    names.add(frag.type_condition.name.value)
        return names

    def concrete(self, t: GraphQLNamedType, sel: SelectionSetNode | None) -> list[GraphQLNamedType]:
        """The types a selection on ``t`` may meet: ``t``, or the object types its fragments
        name when it is abstract."""
        if not is_abstract_type(t):
            return [t]
        found: list[GraphQLNamedType] = [t]
        for name in self.conditions(sel):
            cond = self.schema.get_type(name)
            if isinstance(cond, GraphQLObjectType) and self.schema.is_sub_type(t, cond):  # type: ignore[arg-type]
                found.append(cond)
        return found

    def field_def(self, parent: GraphQLNamedType, node: FieldNode) -> GraphQLField | None:
        fields = getattr(parent, "fields", None)
        return fields.get(node.name.value) if fields else None

    def args(self, fdef: GraphQLField, node: FieldNode) -> dict[str, Any]:
        try:
            return get_argument_values(fdef, node, dict(self.variables))
        except Exception:
            return {}

    # -- requested cost ------------------------------------------------------------------

    def selection(self, t: GraphQLNamedType, sel: SelectionSetNode | None) -> int:
        """Cost of a selection set on ``t`` (the maximum over its possible types)."""
        return max(
            sum(self.field(c, f) for f in self.fields(c, sel)) for c in self.concrete(t, sel)
        )

    def item(self, t: GraphQLNamedType, sel: SelectionSetNode | None) -> int:
        """Cost of one object: 1 plus its selection."""
        return 1 + self.selection(t, sel)

    def field(self, parent: GraphQLNamedType, node: FieldNode) -> int:
        fdef = self.field_def(parent, node)
        if fdef is None:
            return 0
        t = get_named_type(fdef.type)
        if is_leaf_type(t):
            return 0
        args = self.args(fdef, node)
        if is_connection(t):
            return CONNECTION_COST + self.page_size(args) * self.node_cost(t, node.selection_set)
        one = self.item(t, node.selection_set)
        ids = args.get("ids")
        if _is_list(fdef.type) and isinstance(ids, list):
            return len(ids) * one
        return one

    @staticmethod
    def page_size(args: Mapping[str, Any]) -> int:
        size = args.get("first") if args.get("first") is not None else args.get("last")
        return int(size or 0)

    def node_cost(self, conn: GraphQLNamedType, sel: SelectionSetNode | None) -> int:
        """Cost of one node of a connection: the costlier of its ``edges`` and ``nodes``
        selections (``pageInfo`` and ``cursor`` are part of the connection's 2)."""
        assert isinstance(conn, GraphQLObjectType)
        best = 0
        for f in self.fields(conn, sel):
            name = f.name.value
            if name == "nodes":
                best = max(best, self.item(get_named_type(conn.fields[name].type), f.selection_set))
            elif name == "edges":
                edge = get_named_type(conn.fields[name].type)
                assert isinstance(edge, GraphQLObjectType)
                for ef in self.fields(edge, f.selection_set):
                    if ef.name.value == "node":
                        node_t = get_named_type(edge.fields["node"].type)
                        best = max(best, self.item(node_t, ef.selection_set))
            elif name != "pageInfo":
                best = max(best, self.field(conn, f))
        return best

    # -- actual cost ---------------------------------------------------------------------

    def actual_selection(
        self, t: GraphQLNamedType, sel: SelectionSetNode | None, value: Any
    ) -> int:
        if not isinstance(value, Mapping):
            return 0
        typename = value.get("__typename")
        found = self.schema.get_type(typename) if isinstance(typename, str) else None
        # an abstract type's value without __typename: the costliest type it may be
        candidates = [found] if found is not None else self.concrete(t, sel)
        return max(
            sum(
                self.actual_field(c, f, value.get(f.alias.value if f.alias else f.name.value))
                for f in self.fields(c, sel)
            )
            for c in candidates
        )

    def actual_item(self, t: GraphQLNamedType, sel: SelectionSetNode | None, value: Any) -> int:
        return 0 if value is None else 1 + self.actual_selection(t, sel, value)

    def actual_field(self, parent: GraphQLNamedType, node: FieldNode, value: Any) -> int:
        fdef = self.field_def(parent, node)
        if fdef is None:
            return 0
        t = get_named_type(fdef.type)
        if is_leaf_type(t) or value is None:
            return 0
        if is_connection(t) and isinstance(value, Mapping):
            assert isinstance(t, GraphQLObjectType)
            total = CONNECTION_COST
            for f in self.fields(t, node.selection_set):
                key = f.alias.value if f.alias else f.name.value
                items = value.get(key)
                name = f.name.value
                if name == "nodes" and isinstance(items, list):
                    node_t = get_named_type(t.fields["nodes"].type)
                    total += sum(self.actual_item(node_t, f.selection_set, v) for v in items)
                elif name == "edges" and isinstance(items, list):
                    edge = get_named_type(t.fields["edges"].type)
                    assert isinstance(edge, GraphQLObjectType)
                    node_t = get_named_type(edge.fields["node"].type)
                    for ef in self.fields(edge, f.selection_set):
                        if ef.name.value == "node":
                            k = ef.alias.value if ef.alias else "node"
                            total += sum(
                                self.actual_item(node_t, ef.selection_set, e.get(k))
                                for e in items
                                if isinstance(e, Mapping)
                            )
                            break
            return total
        if isinstance(value, list):
            if isinstance(self.args(fdef, node).get("ids"), list):
                return sum(self.actual_item(t, node.selection_set, v) for v in value)
            return max((self.actual_item(t, node.selection_set, v) for v in value), default=1)
        return self.actual_item(t, node.selection_set, value)


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        return next((o for o in ops if o.name and o.name.value == name), None)
    return ops[0] if len(ops) == 1 else None


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _root(schema: GraphQLSchema, op: OperationDefinitionNode) -> GraphQLObjectType | None:
    return schema.mutation_type if op.operation == OperationType.MUTATION else schema.query_type


def requested_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None = None,
    operation_name: str | None = None,
) -> int:
    """Return the requested cost of the (valid) document's operation with these variables."""
    op = _operation(document, operation_name)
    if op is None:
        return 0
    walk = _Walk(schema, _fragments(document), variables or {})
    root = _root(schema, op)
    if root is None:
        return 0
    fields = walk.fields(root, op.selection_set)
    if op.operation == OperationType.MUTATION:
        return MUTATION_COST * len([f for f in fields if f.name.value != "__typename"])
    return sum(walk.field(root, f) for f in fields)


def actual_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    data: Mapping[str, Any] | None,
    variables: Mapping[str, Any] | None = None,
    operation_name: str | None = None,
) -> int:
    """Return the actual cost of a result: connections count the nodes they returned."""
    op = _operation(document, operation_name)
    if op is None or data is None:
        return 0
    walk = _Walk(schema, _fragments(document), variables or {})
    root = _root(schema, op)
    if root is None:
        return 0
    fields = walk.fields(root, op.selection_set)
    if op.operation == OperationType.MUTATION:
        return MUTATION_COST * len([f for f in fields if f.name.value != "__typename"])
    return sum(
        walk.actual_field(root, f, data.get(f.alias.value if f.alias else f.name.value))
        for f in fields
    )


def root_fields(document: DocumentNode, operation_name: str | None = None) -> Iterable[str]:
    """The root field names of the document's operation (fragments included)."""
    op = _operation(document, operation_name)
    if op is None:
        return []
    names: list[str] = []
    frags = _fragments(document)

    def collect(sel: SelectionSetNode) -> None:
        for s in sel.selections:
            if isinstance(s, FieldNode):
                names.append(s.name.value)
            elif isinstance(s, InlineFragmentNode):
                collect(s.selection_set)
            elif isinstance(s, FragmentSpreadNode) and s.name.value in frags:
                collect(frags[s.name.value].selection_set)

    collect(op.selection_set)
    return names
