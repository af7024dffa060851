// "Live" while the event stream is connected, "Offline" (reconnecting) otherwise.
import { useEffect, useState } from "react";
import { onLiveStatus } from "../api/live";

export default function LiveIndicator() {
  const [connected, setConnected] = useState(false);
  useEffect(() => onLiveStatus(setConnected), []);
  return (
    <span
      className={`live ${connected ? "on" : "off"}`}
      role="status"
      title={connected ? "Updates arrive live from the server" : "Not connected to the server's event stream; reconnecting"}
      data-testid="live-indicator"
      data-connected={connected}
    >
      <span className="dot" aria-hidden="true" />
      {connected ? "Live" : "Offline"}
    </span>
  );
}
