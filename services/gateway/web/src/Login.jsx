import { useState } from "react";
import { api } from "./api.js";

export default function Login({ onLogin }) {
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [message, setMessage] = useState("");

  const submit = async (signUp) => {
    setMessage("");
    try {
      if (signUp) await api("/v1/auth/signup", { method: "POST", json: { name, password } });
      const session = await api("/v1/auth/login", { method: "POST", json: { name, password } });
      onLogin(session.user, session.csrf);
    } catch (e) {
      setMessage(e.message);
    }
  };
  return (
    <form className="login" onSubmit={(e) => { e.preventDefault(); submit(false); }}>
      <h2>Log in</h2>
      <label>Name <input data-testid="name" value={name} onChange={(e) => setName(e.target.value)} /></label>
      <label>Password <input data-testid="password" type="password" value={password}
                             onChange={(e) => setPassword(e.target.value)} /></label>
      <div>
        <button type="submit" data-testid="login">Log in</button>
        <button type="button" data-testid="signup" onClick={() => submit(true)}>Sign up</button>
      </div>
      {message && <p className="error" data-testid="login-error">{message}</p>}
    </form>
  );
}
