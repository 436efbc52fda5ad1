// The graph IR (nodes with op and params, edges src -> dst) <-> React Flow's nodes and edges, and the
// automatic layout (dagre, top to bottom).
import dagre from "@dagrejs/dagre";

export const NODE_W = 190;
export const NODE_H = 56;

export function toFlow(graph, positions = {}) {
  const nodes = graph.nodes.map((n) => ({
    id: n.id,
    type: "layer",
    position: positions[n.id] || { x: 0, y: 0 },
    data: { op: n.op, name: n.name || "", params: { ...(n.params || {}) } },
  }));
  const edges = graph.edges.map((e, i) => ({
    id: `e${i}-${e.src}-${e.dst}`,
    source: e.src,
    target: e.dst,
    data: e.dst_input !== undefined ? { dst_input: e.dst_input } : {},
  }));
  return { nodes, edges };
}

export function fromFlow(name, nodes, edges) {
  return {
    name: name || "model",
    nodes: nodes.map((n) => {
      const node = { id: n.id, op: n.data.op, params: n.data.params };
      if (n.data.name) node.name = n.data.name;
      return node;
    }),
    edges: edges.map((e) => ({ src: e.source, dst: e.target })),
  };
}

export function layout(nodes, edges) {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 30, ranksep: 40 });
  g.setDefaultEdgeLabel(() => ({}));
  nodes.forEach((n) => g.setNode(n.id, { width: NODE_W, height: NODE_H }));
  edges.forEach((e) => g.setEdge(e.source, e.target));
  dagre.layout(g);
  return nodes.map((n) => {
    const p = g.node(n.id);
    return { ...n, position: { x: p.x - NODE_W / 2, y: p.y - NODE_H / 2 } };
  });
}

export function freshId(nodes, op) {
  const base = op.toLowerCase().replace(/[^a-z0-9]/g, "");
  let k = 1;
  const taken = new Set(nodes.map((n) => n.id));
  while (taken.has(`${base}_${k}`)) k += 1;
  return `${base}_${k}`;
}
