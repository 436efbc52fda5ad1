import { useEffect, useState } from "react";
import { api } from "./api.js";

const PAGE = 20;

export default function Catalogue({ Link }) {
  const [query, setQuery] = useState("");
  const [sort, setSort] = useState("newest");
  const [offset, setOffset] = useState(0);
  const [data, setData] = useState(null);
  const [error, setError] = useState("");

  useEffect(() => {
    const timer = setTimeout(() => {
      const q = new URLSearchParams({ q: query, sort, limit: PAGE, offset });
      api(`/v1/catalogue?${q}`).then(setData).catch((e) => setError(e.message));
    }, 150);
    return () => clearTimeout(timer);
  }, [query, sort, offset]);

  return (
    <section>
      <div className="toolbar">
        <input data-testid="search" placeholder="Search titles, authors, arXiv ids" value={query}
               onChange={(e) => { setQuery(e.target.value); setOffset(0); }} />
        <select data-testid="sort" value={sort} onChange={(e) => { setSort(e.target.value); setOffset(0); }}>
          <option value="newest">Newest</option>
          <option value="rating">Best rated</option>
          <option value="edits">Most edited</option>
        </select>
      </div>
      {error && <p className="error">{error}</p>}
      {data && (
        <>
          <p className="dim">{data.total} papers</p>
          <ul className="papers" data-testid="papers">
            {data.papers.map((p) => (
              <li key={p.id}>
                {p.thumbnail ? <img className="thumb" src={p.thumbnail} alt="" loading="lazy" /> : <span className="thumb" />}
                <Link to={`/papers/${p.id}`} className="title">{p.title || "(untitled)"}</Link>
                <div className="dim">
                  {new Date(p.created_at * 1000).toISOString().slice(0, 10)} &middot;{" "}
                  {p.authors.join(", ")}
                  {p.arxiv_id && <> &middot; arXiv:{p.arxiv_id}</>}
                  {" "}&middot; {p.designs} design{p.designs === 1 ? "" : "s"}
                  {p.rating !== null && <> &middot; {"\u2605"} {p.rating} ({p.votes})</>}
                  {p.edits > 0 && <> &middot; {p.edits} edit{p.edits === 1 ? "" : "s"}</>}
                </div>
              </li>
            ))}
          </ul>
          <div className="pager">
            <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>Previous</button>
            <span>{offset + 1}-{Math.min(offset + PAGE, data.total)} of {data.total}</span>
            <button disabled={offset + PAGE >= data.total} onClick={() => setOffset(offset + PAGE)}>Next</button>
          </div>
        </>
      )}
    </section>
  );
}
