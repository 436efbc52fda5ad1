import { useEffect, useState } from "react";
import { api } from "./api.js";

export default function Rating({ designId, user }) {
  const [rating, setRating] = useState(null);
  const [error, setError] = useState("");
  useEffect(() => { api(`/v1/designs/${designId}/rating`).then(setRating).catch(() => {}); }, [designId, user]);
  const rate = async (stars) => {
    setError("");
    try {
      setRating(await api(`/v1/designs/${designId}/rating`, { method: "PUT", json: { stars } }));
    } catch (e) {
      setError(e.status === 401 ? "log in to rate" : e.message);
    }
  };
  return (
    <span className="rating" data-testid={`rating-${designId}`}>
      {[1, 2, 3, 4, 5].map((s) => (
        <button key={s} title={`${s} star${s > 1 ? "s" : ""}`} disabled={!user} data-testid={`star-${s}`}
                className={rating && rating.mine >= s ? "star on" : "star"} onClick={() => rate(s)}>
          {"\u2605"}
        </button>
      ))}
      {rating && <span className="dim" data-testid="rating-summary">
        {rating.average === null ? "no ratings" : `${rating.average} (${rating.count})`}</span>}
      {error && <span className="error">{error}</span>}
    </span>
  );
}
