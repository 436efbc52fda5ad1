import { useEffect, useState } from "react";
import { api } from "./api.js";

function Diff({ diff }) {
  const value = (v) => JSON.stringify(v);
  const empty = !diff.added.length && !diff.removed.length && !diff.changed.length && !diff.edges_added.length
    && !diff.edges_removed.length;
  return (
    <div className="diff" data-testid="diff">
      <h3>Version {diff.a} &rarr; version {diff.b}</h3>
      {empty && <p className="dim">No differences.</p>}
      <ul>
        {diff.added.map((n) => <li key={`a${n.id}`} className="added">+ {n.op} <code>{n.id}</code></li>)}
        {diff.removed.map((n) => <li key={`r${n.id}`} className="removed">- {n.op} <code>{n.id}</code></li>)}
        {diff.changed.map((n) => (
          <li key={`c${n.id}`} className="changed">~ <code>{n.id}</code>: {Object.entries(n.changes)
            .map(([k, [a, b]]) => `${k} ${value(a)} \u2192 ${value(b)}`).join("; ")}</li>
        ))}
        {diff.edges_added.map(([s, d]) => <li key={`ea${s}${d}`} className="added">+ {s} &rarr; {d}</li>)}
        {diff.edges_removed.map(([s, d]) => <li key={`er${s}${d}`} className="removed">- {s} &rarr; {d}</li>)}
      </ul>
    </div>
  );
}

export default function History({ designId, user, Link }) {
  const [data, setData] = useState(null);
  const [pick, setPick] = useState([]);
  const [diff, setDiff] = useState(null);
  const [status, setStatus] = useState("");
  const load = () => api(`/v1/designs/${designId}/versions`).then(setData).catch((e) => setStatus(e.message));
  useEffect(() => { load(); }, [designId]);
  useEffect(() => {
    if (pick.length !== 2) return;
    const [a, b] = [...pick].sort((x, y) => x - y);
    api(`/v1/designs/${designId}/diff?a=${a}&b=${b}`).then(setDiff).catch((e) => setStatus(e.message));
  }, [pick, designId]);
  const toggle = (v) => setPick((p) => (p.includes(v) ? p.filter((x) => x !== v) : [...p, v].slice(-2)));
  const publish = async (version) => {
    try {
      await api(`/v1/designs/${designId}/publish`, { method: "POST", json: { version } });
      setStatus(`version ${version} published`);
      load();
    } catch (e) {
      setStatus(e.status === 401 ? "log in to publish" : e.message);
    }
  };
  if (!data) return <p className="dim">{status || "loading..."}</p>;
  return (
    <section>
      <h2>History <Link to={`/designs/${designId}/edit`}>Edit</Link></h2>
      <p className="dim">Pick two versions to compare them.</p>
      <table className="versions" data-testid="versions">
        <thead><tr><th /><th>version</th><th>message</th><th>by</th><th>when</th><th /></tr></thead>
        <tbody>
          {data.versions.map((v) => (
            <tr key={v.version} data-testid={`version-${v.version}`}>
              <td><input type="checkbox" checked={pick.includes(v.version)} onChange={() => toggle(v.version)}
                         data-testid={`pick-${v.version}`} /></td>
              <td>{v.version}{v.version === data.published && " (published)"}</td>
              <td>{v.message}</td>
              <td>{v.author}</td>
              <td>{new Date(v.created_at * 1000).toLocaleString()}</td>
              <td>{user && v.version !== data.published && <button onClick={() => publish(v.version)}>Publish</button>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {status && <p className="status">{status}</p>}
      {diff && pick.length === 2 && <Diff diff={diff} />}
    </section>
  );
}
