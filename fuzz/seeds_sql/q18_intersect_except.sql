SELECT island FROM penguins
INTERSECT
SELECT island FROM sites
EXCEPT
SELECT "Island" FROM "penguins-raw"