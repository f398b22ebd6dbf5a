"""One module per resource, each defining ``router = APIRouter()``; webui.app includes them all."""
