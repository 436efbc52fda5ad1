import { StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { api, navigate, setCsrf } from "./api.js";
import Catalogue from "./Catalogue.jsx";
import Editor from "./Editor.jsx";
import History from "./History.jsx";
import Login from "./Login.jsx";
import Paper from "./Paper.jsx";
import "./styles.css";

function route(path) {
  let m;
  if ((m = path.match(/^\/papers\/([0-9a-f]{64})$/))) return ["paper", m[1]];
  if ((m = path.match(/^\/designs\/([\w-]+)\/edit$/))) return ["edit", m[1]];
  if ((m = path.match(/^\/designs\/([\w-]+)\/history$/))) return ["history", m[1]];
  if (path === "/login") return ["login"];
  return ["catalogue"];
}

function Link({ to, children, ...rest }) {
  return (
    <a href={to} onClick={(e) => { e.preventDefault(); navigate(to); }} {...rest}>
      {children}
    </a>
  );
}

function App() {
  const [path, setPath] = useState(window.location.pathname);
  const [user, setUser] = useState(null);

  useEffect(() => {
    const onPop = () => setPath(window.location.pathname);
    window.addEventListener("popstate", onPop);
    api("/v1/auth/me").then((me) => { setUser(me.user); setCsrf(me.csrf); }).catch(() => setUser(null));
    return () => window.removeEventListener("popstate", onPop);
  }, []);

  const logOut = async () => {
    await api("/v1/auth/logout", { method: "POST" });
    setUser(null);
    setCsrf(null);
  };
  const [page, arg] = route(path);
  return (
    <>
      <header className="top">
        <Link to="/" className="brand">DLPaper2Code</Link>
        <span className="tagline">papers in, code out</span>
        <span className="spacer" />
        {user ? (
          <span data-testid="who">{user.name} <button onClick={logOut}>Log out</button></span>
        ) : (
          <Link to="/login" data-testid="login-link">Log in</Link>
        )}
      </header>
      <main>
        {page === "catalogue" && <Catalogue Link={Link} />}
        {page === "paper" && <Paper id={arg} user={user} Link={Link} />}
        {page === "edit" && <Editor designId={arg} user={user} Link={Link} />}
        {page === "history" && <History designId={arg} user={user} Link={Link} />}
        {page === "login" && <Login onLogin={(u, csrf) => { setUser(u); setCsrf(csrf); navigate("/"); }} />}
      </main>
    </>
  );
}

createRoot(document.getElementById("root")).render(<StrictMode><App /></StrictMode>);
