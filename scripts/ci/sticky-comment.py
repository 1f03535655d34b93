#!/usr/bin/env python3
"""Create or update the one comment of a pull request that starts with a hidden marker.

    sticky-comment.py --pr N --body-file comment.md [--marker '<!-- sagectl-plan -->']
                      [--author 'github-actions[bot]'] [--expect-head-sha SHA]

Finds the pull request's comments that start with the marker (written by ``--author``, so
a marker quoted by someone else is never touched), updates the oldest one when its body differs
and deletes any others (two runs that raced), or creates the comment. The body is prefixed with
the marker when it lacks it and cut to GitHub's 65,536-character limit.

``--expect-head-sha``: do nothing (exit 0) unless the pull request's head is still that commit,
so a slow run never overwrites the comment of a newer push (and, for the fork workflow, the pull
request number taken from an artifact is checked against the run that produced it).

Needs GITHUB_TOKEN (pull-requests: write) and GITHUB_REPOSITORY; GITHUB_API_URL is honoured.
Prints what it did; in a workflow also sets the outputs ``comment-id``, ``comment-url`` and
``action`` (created, updated, unchanged or skipped).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from github_api import GitHub, GitHubError, fit, write_outputs

DEFAULT_MARKER = "<!-- sagectl-plan -->"
DEFAULT_AUTHOR = "github-actions[bot]"


def upsert(gh: GitHub, pr: int, body: str, marker: str, author: str | None) -> tuple[str, dict]:
    """(action, comment): create or update the pull request's marked comment."""
    if not body.lstrip().startswith(marker):
        body = f"{marker}\n{body}"
    body = fit(body)
    mine = [c for c in gh.paginate(gh.repo_path(f"/issues/{pr}/comments"))
            if (c.get("body") or "").lstrip().startswith(marker)
            and (not author or (c.get("user") or {}).get("login") == author)]
    for extra in mine[1:]:  # one sticky comment, even after two runs raced
        gh.request("DELETE", gh.repo_path(f"/issues/comments/{extra['id']}"))
    if not mine:
        comment, _ = gh.request("POST", gh.repo_path(f"/issues/{pr}/comments"), {"body": body})
        return "created", comment
    comment = mine[0]
    if comment.get("body") == body:
        return "unchanged", comment
    comment, _ = gh.request("PATCH", gh.repo_path(f"/issues/comments/{comment['id']}"),
                            {"body": body})
    return "updated", comment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pr", type=int, required=True, help="pull request number")
    parser.add_argument("--body-file", type=Path, required=True)
    parser.add_argument("--marker", default=DEFAULT_MARKER)
    parser.add_argument("--author", default=DEFAULT_AUTHOR,
                        help="only comments by this login are updated ('' for any author)")
    parser.add_argument("--expect-head-sha", default="",
                        help="skip unless the pull request's head is this commit")
    args = parser.parse_args(argv)

    gh = GitHub()
    try:
        if args.expect_head_sha:
            pull, _ = gh.request("GET", gh.repo_path(f"/pulls/{args.pr}"))
            head = (pull.get("head") or {}).get("sha", "")
            if head != args.expect_head_sha:
                print(f"sticky-comment: pull request #{args.pr} is at {head[:12]}, not "
                      f"{args.expect_head_sha[:12]}: a newer run comments; nothing done")
                write_outputs(action="skipped")
                return 0
        body = args.body_file.read_text(encoding="utf-8")
        action, comment = upsert(gh, args.pr, body, args.marker, args.author or None)
    except GitHubError as err:
        print(f"sticky-comment: {err}", file=sys.stderr)
        return 1
    print(f"sticky-comment: {action} comment {comment.get('id')} on #{args.pr}: "
          f"{comment.get('html_url', '')}")
    write_outputs(action=action, **{"comment-id": comment.get("id"),
                                    "comment-url": comment.get("html_url", "")})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
