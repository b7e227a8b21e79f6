"""Cart recovery: the steps an owner sets (steps), their timers (timers), the send of a due
step (send), its counted link (links), what stops a sequence (stops), the orders it brought
back (attribution), and what the owner reads of it (stats, carts)."""
