"""The flow catalogue and the reports built on it: the RPA 管理台帳, the 手順書 generated from each
flow, and the health report that finds 野良ロボット before they hurt."""
