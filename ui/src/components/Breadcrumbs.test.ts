import { describe, expect, it } from "vitest";
import { crumbsFor } from "./Breadcrumbs";

describe("crumbsFor", () => {
  it("builds the trail from the URL, the last crumb not a link", () => {
    expect(crumbsFor("/")).toEqual([{ label: "Experiments", to: "/" }]);
    expect(crumbsFor("/new")).toEqual([{ label: "Experiments", to: "/" }, { label: "New experiment" }]);
    expect(crumbsFor("/experiments/team%20a/exp-1/trials/exp-1-abc")).toEqual([
      { label: "Experiments", to: "/" },
      { label: "team a", to: "/?namespace=team%20a" },
      { label: "exp-1", to: "/experiments/team%20a/exp-1" },
      { label: "exp-1-abc" },
    ]);
    expect(crumbsFor("/experiments/default/exp-1").at(-1)).toEqual({ label: "exp-1" });
  });
});
