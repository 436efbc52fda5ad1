import {
  Background, Controls, MiniMap, ReactFlow, ReactFlowProvider, addEdge, applyEdgeChanges, applyNodeChanges,
  useReactFlow,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { api } from "./api.js";
import { NODE_H, NODE_W, freshId, fromFlow, layout, toFlow } from "./graph.js";
import LayerNode from "./LayerNode.jsx";

const nodeTypes = { layer: LayerNode };
const CODE_TARGETS = [["keras", "Keras"], ["pytorch", "PyTorch"], ["caffe", "Caffe"]];
const DEBOUNCE_MS = 120;

function Palette({ ops }) {
  const [filter, setFilter] = useState("");
  const families = useMemo(() => {
    const groups = {};
    ops.filter((o) => o.op.toLowerCase().includes(filter.toLowerCase()))
      .forEach((o) => { (groups[o.family] = groups[o.family] || []).push(o); });
    return groups;
  }, [ops, filter]);
  return (
    <aside className="palette">
      <input placeholder="Find a layer" value={filter} onChange={(e) => setFilter(e.target.value)} />
      {Object.entries(families).map(([family, items]) => (
        <div key={family}>
          <div className="family">{family}</div>
          {items.map((o) => (
            <div key={o.op} className="item" draggable data-testid={`palette-${o.op}`} title={o.doc}
                 onDragStart={(e) => { e.dataTransfer.setData("application/dlp2c-op", o.op); }}>
              {o.op}
            </div>
          ))}
        </div>
      ))}
    </aside>
  );
}

function ParamInput({ param, value, onChange }) {
  const text = value === undefined || value === null ? "" : Array.isArray(value) ? value.join(", ") : String(value);
  const [draft, setDraft] = useState(text);
  useEffect(() => setDraft(text), [text]);
  const emit = (v) => {  // an unchanged value (Enter, then leaving the field) is not a new edit
    if (JSON.stringify(v) !== JSON.stringify(value === null ? undefined : value)) onChange(v);
  };
  const commit = (raw) => {
    if (raw === "") return emit(undefined);
    const k = param.kind;
    if (k === "int") return emit(Number.parseInt(raw, 10));
    if (k === "float") return emit(Number.parseFloat(raw));
    if (k === "bool") return emit(raw === "true");
    if (["ints", "shape", "padding"].includes(k)) {
      const parts = raw.split(/[\s,x]+/).filter(Boolean);
      if (k === "padding" && parts.length === 1 && Number.isNaN(Number(parts[0]))) return emit(parts[0]);
      const nums = parts.map((p) => (p === "?" || p === "null" ? null : Number.parseInt(p, 10)));
      return emit(nums.length === 1 && k !== "shape" ? nums[0] : nums);
    }
    if (k === "floats") return emit(raw.split(/[\s,]+/).filter(Boolean).map(Number));
    return emit(raw);
  };
  if (param.choices) {
    return (
      <select value={text} data-testid={`param-${param.name}`} onChange={(e) => commit(e.target.value)}>
        {!param.required && <option value="">(default: {String(param.default)})</option>}
        {param.choices.map((c) => <option key={c} value={c}>{c}</option>)}
      </select>
    );
  }
  if (param.kind === "bool") {
    return (
      <select value={text} data-testid={`param-${param.name}`} onChange={(e) => commit(e.target.value)}>
        <option value="">(default: {String(param.default)})</option>
        <option value="true">true</option><option value="false">false</option>
      </select>
    );
  }
  return (
    <input value={draft} data-testid={`param-${param.name}`}
           placeholder={param.required ? "required" : `default: ${JSON.stringify(param.default)}`}
           onChange={(e) => setDraft(e.target.value)} onBlur={() => commit(draft)}
           onKeyDown={(e) => { if (e.key === "Enter") commit(draft); }} />
  );
}

function Inspector({ node, spec, onChange }) {
  if (!node) return <aside className="inspector"><p className="dim">Select a layer to edit it.</p></aside>;
  return (
    <aside className="inspector" data-testid="inspector">
      <h4>{node.data.op}</h4>
      <label>name <input value={node.data.name} data-testid="param-name"
                         onChange={(e) => onChange({ ...node.data, name: e.target.value.slice(0, 120) })} /></label>
      {node.data.error && <p className="error" data-testid="inspector-error">{node.data.error}</p>}
      {spec && spec.params.map((p) => (
        <label key={p.name} title={p.doc}>
          {p.name}{p.required && " *"}{p.min !== null && p.max !== null && <span className="dim"> [{p.min}, {p.max}]</span>}
          <ParamInput param={p} value={node.data.params[p.name]}
                      onChange={(v) => {
                        const params = { ...node.data.params };
                        if (v === undefined || (typeof v === "number" && Number.isNaN(v))) delete params[p.name];
                        else params[p.name] = v;
                        onChange({ ...node.data, params });
                      }} />
        </label>
      ))}
    </aside>
  );
}

function EditorCanvas({ designId, user, Link }) {
  const flowApi = useReactFlow();
  const [name, setName] = useState("model");
  const [nodes, setNodes] = useState([]);
  const [edges, setEdges] = useState([]);
  const [ops, setOps] = useState([]);
  const [result, setResult] = useState(null);
  const [target, setTarget] = useState("keras");
  const [status, setStatus] = useState("");
  const [message, setMessage] = useState("");
  const [saved, setSaved] = useState(null);
  const past = useRef([]);
  const future = useRef([]);
  const wrapper = useRef(null);

  useEffect(() => {
    api("/v1/catalog").then((c) => setOps(c.ops));
    api(`/v1/designs/${designId}`).then((d) => {
      const flow = toFlow(d.graph);
      setName(d.graph.name);
      setNodes(layout(flow.nodes, flow.edges));
      setEdges(flow.edges);
    }).catch((e) => setStatus(e.message));
  }, [designId]);

  const snapshot = () => ({ nodes, edges });
  const commit = useCallback((nextNodes, nextEdges) => {
    past.current.push({ nodes, edges });
    if (past.current.length > 200) past.current.shift();
    future.current = [];
    setNodes(nextNodes);
    setEdges(nextEdges);
  }, [nodes, edges]);
  const undo = () => {
    const last = past.current.pop();
    if (!last) return;
    future.current.push(snapshot());
    setNodes(last.nodes);
    setEdges(last.edges);
  };
  const redo = () => {
    const next = future.current.pop();
    if (!next) return;
    past.current.push(snapshot());
    setNodes(next.nodes);
    setEdges(next.edges);
  };

  // What the code depends on: ops, names, parameters and connections (not positions, shapes or errors).
  const graph = useMemo(() => fromFlow(name, nodes, edges), [name, nodes, edges]);
  const graphKey = JSON.stringify(graph);
  useEffect(() => {
    if (!graph.nodes.length) return undefined;
    const timer = setTimeout(() => {
      const started = performance.now();
      api("/v1/editor/generate", { method: "POST", json: { graph, targets: CODE_TARGETS.map(([t]) => t) } })
        .then((r) => {
          r.ms = Math.round(performance.now() - started);
          setResult(r);
          setNodes((current) => current.map((n) => ({
            ...n,
            data: { ...n.data, shape: r.valid ? r.shapes[n.id] : undefined,
                    error: !r.valid && r.error.node === n.id ? `${r.error.message}${r.error.hint ? ` (fix: ${r.error.hint})` : ""}` : undefined },
          })));
        })
        .catch((e) => setResult({ valid: false, error: { message: e.message } }));
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [graphKey]);

  useEffect(() => {
    const onKey = (e) => {
      if (!(e.ctrlKey || e.metaKey) || e.target.tagName === "INPUT") return;
      if (e.key === "z" && !e.shiftKey) { e.preventDefault(); undo(); }
      if (e.key === "y" || (e.key === "z" && e.shiftKey)) { e.preventDefault(); redo(); }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  const onNodesChange = (changes) => {
    const structural = changes.some((c) => c.type === "remove");
    const next = applyNodeChanges(changes, nodes);
    if (structural) {
      const ids = new Set(next.map((n) => n.id));
      commit(next, edges.filter((e) => ids.has(e.source) && ids.has(e.target)));
    } else {
      setNodes(next);
    }
  };
  const onEdgesChange = (changes) => {
    const next = applyEdgeChanges(changes, edges);
    if (changes.some((c) => c.type === "remove")) commit(nodes, next);
    else setEdges(next);
  };
  const onConnect = (connection) => commit(nodes, addEdge({ ...connection, id: `e-${connection.source}-${connection.target}-${Date.now()}` }, edges));

  const onDrop = (event) => {
    event.preventDefault();
    const op = event.dataTransfer.getData("application/dlp2c-op");
    if (!op) return;
    const point = flowApi.screenToFlowPosition({ x: event.clientX, y: event.clientY });
    const id = freshId(nodes, op);
    const spec = ops.find((o) => o.op === op);
    const params = {};
    (spec ? spec.params : []).forEach((p) => { if (p.required && p.name === "rate") params.rate = 0.5; });
    const node = { id, type: "layer", position: { x: point.x - NODE_W / 2, y: point.y - NODE_H / 2 },
                   data: { op, name: id, params } };
    // Dropped on a connection: the new layer goes in between.
    const centre = (n) => ({ x: n.position.x + NODE_W / 2, y: n.position.y + NODE_H / 2 });
    const byId = Object.fromEntries(nodes.map((n) => [n.id, n]));
    const hit = edges.find((e) => {
      const a = byId[e.source], b = byId[e.target];
      if (!a || !b) return false;
      const p = centre(a), q = centre(b);
      const dx = q.x - p.x, dy = q.y - p.y;
      const t = Math.max(0, Math.min(1, ((point.x - p.x) * dx + (point.y - p.y) * dy) / (dx * dx + dy * dy || 1)));
      return Math.hypot(p.x + t * dx - point.x, p.y + t * dy - point.y) < 30;
    });
    let nextEdges = edges;
    if (hit) {
      nextEdges = [...edges.filter((e) => e !== hit),
        { id: `e-${hit.source}-${id}`, source: hit.source, target: id },
        { id: `e-${id}-${hit.target}`, source: id, target: hit.target }];
    }
    commit([...nodes.map((n) => ({ ...n, selected: false })), { ...node, selected: true }], nextEdges);
  };

  const selected = nodes.find((n) => n.selected);
  const spec = selected && ops.find((o) => o.op === selected.data.op);
  const updateSelected = (data) => commit(nodes.map((n) => (n.id === selected.id ? { ...n, data } : n)), edges);

  const importFile = async (file) => {
    const form = new FormData();
    form.append("model", file);
    try {
      const r = await api("/v1/editor/import", { method: "POST", form });
      const flow = toFlow(r.graph);
      setName(r.graph.name);
      commit(layout(flow.nodes, flow.edges), flow.edges);
      setStatus(`imported ${file.name}: ${r.graph.nodes.length} layers`);
    } catch (e) {
      setStatus(`import failed: ${e.message}`);
    }
  };
  const save = async () => {
    try {
      const r = await api(`/v1/designs/${designId}/versions`, { method: "POST", json: { graph, message } });
      setSaved(r.version);
      setStatus(`saved as version ${r.version}`);
    } catch (e) {
      setStatus(e.status === 401 ? "log in to save" : `not saved: ${e.message}`);
    }
  };
  const publish = async () => {
    try {
      await api(`/v1/designs/${designId}/publish`, { method: "POST", json: { version: saved } });
      setStatus(`version ${saved} published; its code is being generated`);
    } catch (e) {
      setStatus(`not published: ${e.message}`);
    }
  };

  const files = result && result.files && result.files[target];
  return (
    <div className="editor">
      <div className="toolbar">
        <button onClick={undo} data-testid="undo" disabled={!past.current.length}>Undo</button>
        <button onClick={redo} data-testid="redo" disabled={!future.current.length}>Redo</button>
        <button onClick={() => { commit(layout(nodes, edges), edges); setTimeout(() => flowApi.fitView(), 50); }}
                data-testid="layout">Auto-layout</button>
        <label className="file">Import <input type="file" accept=".json,.prototxt,.onnx,.keras,.h5"
                                              data-testid="import" onChange={(e) => e.target.files[0] && importFile(e.target.files[0])} /></label>
        <input placeholder="What changed" value={message} onChange={(e) => setMessage(e.target.value)}
               data-testid="message" />
        <button onClick={save} disabled={!user || !result || !result.valid} data-testid="save">Save version</button>
        {saved && <button onClick={publish} data-testid="publish">Publish v{saved}</button>}
        <Link to={`/designs/${designId}/history`} data-testid="history-link">History</Link>
        <span className="status" data-testid="status">{status}</span>
      </div>
      <div className="workspace">
        <Palette ops={ops} />
        <div className="flow" ref={wrapper} onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = "move"; }}
             onDrop={onDrop} data-testid="canvas">
          <ReactFlow nodes={nodes} edges={edges} nodeTypes={nodeTypes} onNodesChange={onNodesChange}
                     onEdgesChange={onEdgesChange} onConnect={onConnect} deleteKeyCode={["Delete", "Backspace"]}
                     onlyRenderVisibleElements fitView minZoom={0.05}>
            <Background /><Controls /><MiniMap pannable zoomable />
          </ReactFlow>
        </div>
        <Inspector node={selected} spec={spec} onChange={updateSelected} />
      </div>
      <div className="codepanel">
        <div className="tabs">
          {CODE_TARGETS.map(([key, title]) => (
            <button key={key} className={key === target ? "tab on" : "tab"} onClick={() => setTarget(key)}
                    data-testid={`code-tab-${key}`}>{title}</button>
          ))}
          {result && (result.valid
            ? <span className="ok" data-testid="verdict">{result.params.toLocaleString()} parameters &middot; {result.ms} ms</span>
            : <span className="error" data-testid="verdict">{result.error.message}</span>)}
        </div>
        <pre data-testid="editor-code">{files ? Object.entries(files).map(([f, body]) => `# ${f}\n${body}`).join("\n\n") : ""}</pre>
      </div>
    </div>
  );
}

export default function Editor(props) {
  return <ReactFlowProvider><EditorCanvas {...props} /></ReactFlowProvider>;
}
