import { Handle, Position } from "@xyflow/react";
import { memo } from "react";

// One layer: its op, its name, its output shape from shape inference, and when it breaks the graph,
// a red outline with the reason.
function LayerNode({ data, selected }) {
  const shape = data.shape ? `(${data.shape.map((d) => (d === null ? "?" : d)).join(", ")})` : "";
  return (
    <div className={`layer${data.error ? " broken" : ""}${selected ? " selected" : ""}`} title={data.error || ""}
         data-testid={`node-${data.op}`}>
      <Handle type="target" position={Position.Top} />
      <div className="op">{data.op}</div>
      <div className="meta">{data.name}{shape && <span className="shape">{shape}</span>}</div>
      {data.error && <div className="reason" data-testid="node-error">{data.error}</div>}
      <Handle type="source" position={Position.Bottom} />
    </div>
  );
}

export default memo(LayerNode);
