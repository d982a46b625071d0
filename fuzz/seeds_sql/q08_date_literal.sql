SELECT "Individual ID", "Date Egg"
FROM "penguins-raw"
WHERE "Date Egg" >= DATE '2008-01-01' AND "Clutch Completion" = 'Yes'