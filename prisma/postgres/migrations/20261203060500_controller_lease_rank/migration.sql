-- AlterTable
ALTER TABLE "ControllerLease" ADD COLUMN     "rank" INTEGER NOT NULL DEFAULT 0;

