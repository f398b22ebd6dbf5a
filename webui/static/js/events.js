// /api/events over a WebSocket that reconnects: handlers by message type.
const handlers = new Map();
let onConnection = () => {};

export function on(type, handler) {
  if (!handlers.has(type)) handlers.set(type, []);
  handlers.get(type).push(handler);
}

export function onConnectionChange(handler) {
  onConnection = handler;
}

export function connectEvents() {
  let delay = 500;
  const open = () => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/api/events`);
    socket.addEventListener("open", () => { delay = 500; onConnection(true); });
    socket.addEventListener("message", (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch { return; }
      for (const handler of handlers.get(message.type) || []) handler(message);
    });
    socket.addEventListener("close", () => {
      onConnection(false);
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 10000);
    });
  };
  open();
}

// Messages name the camera as "camera" (ingest, analytics) or "camera_id".
export function cameraOf(message) {
  return message.camera ?? message.camera_id ?? message.incident?.camera ?? null;
}
