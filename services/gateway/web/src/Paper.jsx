import { Background, Controls, ReactFlow } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useEffect, useMemo, useState } from "react";
import { api } from "./api.js";
import { layout, toFlow } from "./graph.js";
import LayerNode from "./LayerNode.jsx";
import Rating from "./Rating.jsx";

const TARGETS = [["keras", "Keras"], ["pytorch", "PyTorch"], ["caffe", "Caffe"], ["onnx", "ONNX"]];
const nodeTypes = { layer: LayerNode };

function Code({ design }) {
  const [target, setTarget] = useState("keras");
  const [files, setFiles] = useState(null);
  const [error, setError] = useState("");
  useEffect(() => {
    setFiles(null);
    setError("");
    if (target === "onnx") return;
    api(`/v1/designs/${design.id}/code/${target}`).then((r) => setFiles(r.files)).catch((e) => setError(e.message));
  }, [design.id, target]);
  const text = files ? Object.entries(files).map(([name, body]) => `# ${name}\n${body}`).join("\n\n") : "";
  return (
    <div className="code">
      <div className="tabs">
        {TARGETS.map(([key, title]) => (
          <button key={key} className={key === target ? "tab on" : "tab"} onClick={() => setTarget(key)}
                  data-testid={`tab-${key}`}>{title}</button>
        ))}
        <button onClick={() => navigator.clipboard && navigator.clipboard.writeText(text)}>Copy</button>
        <a href={`/v1/designs/${design.id}/code.zip`} download>Download zip</a>
      </div>
      {target === "onnx" ? <p className="dim">model.onnx is binary: it is in the zip.</p>
        : error ? <p className="error">{error}</p>
        : <pre data-testid="code">{text || "..."}</pre>}
    </div>
  );
}

function DesignView({ design, user, Link }) {
  const [graph, setGraph] = useState(null);
  useEffect(() => { api(`/v1/designs/${design.id}`).then((d) => setGraph(d.graph)); }, [design.id]);
  const flow = useMemo(() => {
    if (!graph) return null;
    const { nodes, edges } = toFlow(graph);
    return { nodes: layout(nodes, edges), edges };
  }, [graph]);
  const title = design.name && design.name !== design.ref ? design.name : design.ref;
  return (
    <article className="design" data-testid="design" data-source={design.source}>
      <h3>{title} <span className="dim">from {design.source} {design.ref}</span></h3>
      <p className="dim">
        {design.layers} layers{design.params !== null && <> &middot; {design.params.toLocaleString()} parameters</>}
        {" "}&middot; version {design.version} &middot; {design.status}
      </p>
      {design.notes.length > 0 && <ul className="notes">{design.notes.slice(0, 8).map((n, i) => <li key={i}>{n}</li>)}</ul>}
      <div className="actions">
        <Rating designId={design.id} user={user} />
        <Link to={`/designs/${design.id}/edit`} data-testid="edit-link">Edit</Link>
        <Link to={`/designs/${design.id}/history`}>History</Link>
      </div>
      <div className="split">
        <div className="flow small" data-testid="graph">
          {flow && <ReactFlow nodes={flow.nodes} edges={flow.edges} nodeTypes={nodeTypes} fitView
                              nodesDraggable={false} nodesConnectable={false} onlyRenderVisibleElements>
            <Background /><Controls showInteractive={false} />
          </ReactFlow>}
        </div>
        {design.status === "generated" ? <Code design={design} /> : <p className="dim">code: {design.status}</p>}
      </div>
    </article>
  );
}

export default function Paper({ id, user, Link }) {
  const [data, setData] = useState(null);
  const [error, setError] = useState("");
  useEffect(() => { api(`/v1/papers/${id}`).then(setData).catch((e) => setError(e.message)); }, [id]);
  if (error) return <p className="error">{error}</p>;
  if (!data) return <p className="dim">loading...</p>;
  const p = data.paper;
  return (
    <section>
      <h1 data-testid="paper-title">{p.title || "(untitled)"}</h1>
      <p className="dim">{p.authors.join(", ")}{p.arxiv_id && <> &middot; arXiv:{p.arxiv_id}</>} &middot; {p.pages} pages
        {" "}&middot; <a href={data.links.code} download>all code (zip)</a></p>
      <h2>Designs ({data.designs.length})</h2>
      {data.designs.map((d) => <DesignView key={d.id} design={d} user={user} Link={Link} />)}
      <h2>Figures ({data.figures.length})</h2>
      {data.figures.map((f) => (
        <figure key={f.figure_id} className="figure">
          <figcaption><b>{f.label}</b> {f.caption} <span className="dim">({f.status}{f.style && `, ${f.style}`})</span></figcaption>
          <div className="images">
            <img src={f.links.image} alt={f.label} />
            {f.links.overlay && <img src={f.links.overlay} alt={`${f.label}: what was read`} data-testid="overlay" />}
          </div>
        </figure>
      ))}
    </section>
  );
}
