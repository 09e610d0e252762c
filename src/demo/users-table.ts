import type { User } from "../../gen/user/v1/user_service_pb.js";
import type { UserClient } from "../users/web.js";
import { describeError } from "./describe-error.js";
import { byId, element, showStatus } from "./dom.js";

/** The users table with Previous/Next paging. */
export interface UsersTable {
  /** Reloads the page on view (after a change, for instance). */
  refresh(): Promise<void>;
}

const pageSize = 5;

/** Renders pages of ListUsers; page tokens are kept so Previous goes back exactly. */
export function createUsersTable(client: UserClient, signal: AbortSignal): UsersTable {
  const body = byId("users");
  const prev = byId<HTMLButtonElement>("prev");
  const next = byId<HTMLButtonElement>("next");
  // tokens[i] opens page i; page 0 needs none.
  const tokens = [""];
  let page = 0;
  let nextToken = "";
  let loading: Promise<void> | undefined;

  const render = (users: User[]) => {
    body.replaceChildren(
      ...users.map((user) => {
        const row = element("tr", "", { "data-user-id": user.id });
        row.append(
          element("td", user.name),
          element("td", user.email),
          element("td", user.age ? String(user.age) : ""),
          element("td", user.roles.join(", ")),
        );
        const remove = element("button", "Delete", { type: "button", "aria-label": `delete ${user.email}` });
        remove.addEventListener("click", () => void deleteUser(user));
        const cell = element("td");
        cell.append(remove);
        row.append(cell);
        return row;
      }),
    );
  };

  const load = async () => {
    try {
      const response = await client.listUsers({ pageSize, pageToken: tokens[page] ?? "" }, { signal });
      if (response.users.length === 0 && page > 0) {
        // The last user of this page went away: show the page before it.
        page--;
        return load();
      }
      render(response.users);
      nextToken = response.nextPageToken;
      byId("total").textContent = `${response.totalSize} in all`;
      byId("page").textContent = `page ${page + 1}`;
      prev.disabled = page === 0;
      next.disabled = nextToken === "";
    } catch (err) {
      if (!signal.aborted) showStatus(describeError("ListUsers", err));
    }
  };

  const deleteUser = async (user: User) => {
    try {
      await client.deleteUser(user.id, { signal });
      showStatus(`deleted ${user.email}`, "info");
      await refresh();
    } catch (err) {
      showStatus(describeError("DeleteUser", err));
    }
  };

  // Several refreshes asked for at once (a burst of events) load once more, not once each.
  let again = false;
  const refresh = async (): Promise<void> => {
    if (loading) {
      again = true;
      return loading;
    }
    loading = load().finally(() => {
      loading = undefined;
      if (again) {
        again = false;
        void refresh();
      }
    });
    return loading;
  };

  prev.onclick = () => {
    page = Math.max(0, page - 1);
    void refresh();
  };
  next.onclick = () => {
    tokens[page + 1] = nextToken;
    page++;
    void refresh();
  };
  return { refresh };
}
