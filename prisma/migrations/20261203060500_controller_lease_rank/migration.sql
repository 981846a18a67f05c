-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_ControllerLease" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "holder" TEXT NOT NULL,
    "token" BIGINT NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "rank" INTEGER NOT NULL DEFAULT 0
);
INSERT INTO "new_ControllerLease" ("expiresAt", "holder", "name", "token") SELECT "expiresAt", "holder", "name", "token" FROM "ControllerLease";
DROP TABLE "ControllerLease";
ALTER TABLE "new_ControllerLease" RENAME TO "ControllerLease";
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

