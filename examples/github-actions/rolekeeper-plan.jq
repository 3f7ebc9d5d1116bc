# Renders rolekeeper's plan document (plan --format json, or the response
# of `rolekeeper invoke --action plan`) as a pull-request comment: problems
# first, then one line per change, the SQL folded. Passwords are never in
# the document (password changes carry a placeholder).
"### rolekeeper plan for database `\(.database)` (PostgreSQL \(.server_version), \(.mode))\n",
(if (.problems | length) > 0 then
  "**Problems: the plan cannot be applied**\n", (.problems[] | "- \(.)"), ""
else empty end),
(if .changed then
  "**\([.changes[] | select(.action != "temporary")] | length) change(s)**\n",
  (.changes[] | select(.action != "temporary") | "- `\(.action)` \(.summary)"),
  "\n<details><summary>SQL</summary>\n\n```sql",
  (.changes[] | .sql[]? | "\(.);"),
  "```\n</details>"
else
  "No changes: the database matches the spec."
end)
